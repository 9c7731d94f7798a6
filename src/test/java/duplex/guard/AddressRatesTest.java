package duplex.guard;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

class AddressRatesTest {

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final AddressRates rates = new AddressRates(new RateLimiter.Policy(10, 20, 5), clock::get);

    private static int allowed(RateLimiter limiter, int tries) {
        int allowed = 0;
        for (int i = 0; i < tries; i++) {
            if (limiter.acquire() == RateLimiter.Verdict.ALLOWED) {
                allowed++;
            }
        }
        return allowed;
    }

    @Test
    void connectionsOfOneAddressShareOneBucket() {
        RateLimiter first = rates.lease("a");
        RateLimiter second = rates.lease("a");
        assertSame(first, second);
        assertEquals(20, allowed(first, 15) + allowed(second, 15), "one burst for both");
        assertNotSame(first, rates.lease("b"), "other addresses have their own");
    }

    @Test
    void reconnectingDoesNotRefillTheBucket() {
        RateLimiter limiter = rates.lease("a");
        assertEquals(20, allowed(limiter, 25));
        rates.release("a");
        rates.sweep(); // the bucket has not recovered: it is kept
        RateLimiter again = rates.lease("a");
        assertSame(limiter, again);
        assertEquals(0, allowed(again, 5), "still empty after a reconnect");
    }

    @Test
    void anUnusedBucketIsForgottenOnceItWouldBeFullAnyway() {
        rates.lease("a");
        rates.release("a");
        clock.addAndGet(2_000_000_000L + 5_000_000_000L); // burst/rate = 2 s, plus 5 strikes at one a second
        rates.sweep();
        assertEquals(0, rates.size());
        rates.lease("b");
        clock.addAndGet(60_000_000_000L);
        rates.sweep();
        assertEquals(1, rates.size(), "a bucket in use is never forgotten");
    }

    @Test
    void theAddressLimitAppliesAfterTheConnectionsOwn() {
        RateLimiter connection = new RateLimiter(new RateLimiter.Policy(10, 100, 5), clock::get);
        RateLimiter address = rates.lease("a");
        int allowed = 0;
        for (int i = 0; i < 50; i++) {
            if (RateLimiter.acquire(connection, address) == RateLimiter.Verdict.ALLOWED) {
                allowed++;
            }
        }
        assertEquals(20, allowed, "the address's burst, though the connection's is larger");
    }
}
