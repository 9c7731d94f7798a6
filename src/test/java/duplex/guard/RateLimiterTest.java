package duplex.guard;

import duplex.guard.RateLimiter.Verdict;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RateLimiterTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    private RateLimiter limiter(double perSecond, int burst, int strikes) {
        return new RateLimiter(new RateLimiter.Policy(perSecond, burst, strikes), now::get);
    }

    private void advanceMillis(long millis) {
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    @Test
    void aFullBucketLetsTheBurstThroughThenLimits() {
        RateLimiter limiter = limiter(20, 40, 40);
        for (int i = 0; i < 40; i++) {
            assertEquals(Verdict.ALLOWED, limiter.acquire(), "message " + i);
        }
        assertEquals(Verdict.LIMITED, limiter.acquire());
    }

    @Test
    void tokensComeBackAtTheRate() {
        RateLimiter limiter = limiter(20, 40, 40);
        for (int i = 0; i < 40; i++) {
            limiter.acquire();
        }
        advanceMillis(49);
        assertEquals(Verdict.LIMITED, limiter.acquire());
        advanceMillis(1);
        assertEquals(Verdict.ALLOWED, limiter.acquire(), "one token after 50 ms at 20/s");
        assertEquals(Verdict.LIMITED, limiter.acquire());
        advanceMillis(10_000);
        for (int i = 0; i < 40; i++) {
            assertEquals(Verdict.ALLOWED, limiter.acquire(), "refilled, but never above the burst: " + i);
        }
        assertEquals(Verdict.LIMITED, limiter.acquire());
    }

    @Test
    void aSteadySenderAtTheRateIsNeverLimited() {
        RateLimiter limiter = limiter(20, 40, 40);
        for (int i = 0; i < 10_000; i++) {
            advanceMillis(50);
            assertEquals(Verdict.ALLOWED, limiter.acquire());
        }
    }

    @Test
    void refusalsPastTheStrikesAreFlooding() {
        RateLimiter limiter = limiter(20, 40, 40);
        for (int i = 0; i < 40; i++) {
            limiter.acquire();
        }
        for (int i = 0; i < 40; i++) {
            assertEquals(Verdict.LIMITED, limiter.acquire(), "refusal " + i);
        }
        assertEquals(Verdict.FLOODING, limiter.acquire());
    }

    @Test
    void aClientThatBacksOffIsForgiven() {
        RateLimiter limiter = limiter(20, 40, 40);
        for (int i = 0; i < 40; i++) {
            limiter.acquire();
        }
        for (int round = 0; round < 100; round++) {
            for (int i = 0; i < 30; i++) {
                assertEquals(Verdict.LIMITED, limiter.acquire());
            }
            advanceMillis(30_000); // backs off; strikes are forgiven at one per second
            for (int i = 0; i < 40; i++) {
                assertEquals(Verdict.ALLOWED, limiter.acquire());
            }
        }
    }

    @Test
    void slightlyTooFastForLongEnoughIsFlooding() {
        RateLimiter limiter = limiter(20, 40, 40);
        Verdict last = Verdict.ALLOWED;
        int messages = 0;
        while (last != Verdict.FLOODING && messages < 100_000) {
            advanceMillis(40); // 25 per second against 20 allowed: 5 refusals a second, 1 forgiven
            last = limiter.acquire();
            messages++;
        }
        assertEquals(Verdict.FLOODING, last);
    }

    @Test
    void aClockThatGoesBackDoesNotMintTokens() {
        RateLimiter limiter = limiter(1, 1, 5);
        assertEquals(Verdict.ALLOWED, limiter.acquire());
        now.addAndGet(-TimeUnit.SECONDS.toNanos(100));
        assertEquals(Verdict.LIMITED, limiter.acquire());
    }

    @Test
    void nonsensePoliciesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RateLimiter.Policy(0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new RateLimiter.Policy(Double.NaN, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new RateLimiter.Policy(1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new RateLimiter.Policy(1, 1, 0));
    }
}
