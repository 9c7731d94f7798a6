package duplex.api;

import duplex.guard.Secret;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** API keys and the idempotency window. */
class ApiKeysTest {

    @Test
    void keysAreFoundBySecretAndBadConfigurationNamesThePairNotTheSecret() {
        ApiKeys keys = ApiKeys.parse(new Secret(" shop = shop-secret-0123456789 , ops=ops-secret-0123456789"));
        assertEquals(Optional.of("shop"), keys.nameOf("shop-secret-0123456789"));
        assertEquals(Optional.of("ops"), keys.nameOf("ops-secret-0123456789"));
        assertEquals(Optional.empty(), keys.nameOf("shop-secret-012345678"));
        assertEquals(Optional.empty(), keys.nameOf(""));
        assertTrue(ApiKeys.parse(new Secret("")).isEmpty());
        IllegalArgumentException shortOne = assertThrows(IllegalArgumentException.class, () -> ApiKeys.parse(new Secret("a=tiny-x")));
        assertFalse(shortOne.getMessage().contains("tiny-x"), "the secret stays out of the message: " + shortOne.getMessage());
        assertTrue(shortOne.getMessage().contains("key a"), shortOne.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ApiKeys.parse(new Secret("no-equals-sign-here-at-all")));
        assertThrows(IllegalArgumentException.class, () -> ApiKeys.parse(new Secret("a=0123456789abcdef,a=0123456789abcdeg")));
        assertThrows(IllegalArgumentException.class, () -> ApiKeys.parse(new Secret("bad name=0123456789abcdef")));
    }

    @Test
    void aKeyWithinTheWindowGetsTheFirstResultAndTheActionRunsOnce() {
        AtomicLong now = new AtomicLong();
        Idempotency<Integer> window = new Idempotency<>(Duration.ofSeconds(10), now::get);
        AtomicInteger runs = new AtomicInteger();
        CompletableFuture<Integer> pending = new CompletableFuture<>();
        CompletableFuture<Integer> first = window.once("k", () -> {
            runs.incrementAndGet();
            return pending;
        });
        CompletableFuture<Integer> repeat = window.once("k", () -> CompletableFuture.completedFuture(runs.incrementAndGet()));
        assertSame(first, repeat, "a repeat while the first is under way waits for it");
        pending.complete(42);
        assertEquals(42, window.once("k", () -> CompletableFuture.completedFuture(-1)).join());
        assertEquals(1, runs.get());
        now.addAndGet(Duration.ofSeconds(11).toNanos());
        assertEquals(7, window.once("k", () -> CompletableFuture.completedFuture(7)).join(), "after the window: anew");
        assertEquals(5, window.once(null, () -> CompletableFuture.completedFuture(5)).join(), "no key: always anew");
    }

    @Test
    void aFailedRequestIsForgottenSoItsRetryRuns() {
        Idempotency<Integer> window = new Idempotency<>(Duration.ofMinutes(5), () -> 0);
        CompletableFuture<Integer> failed = window.once("k", () -> CompletableFuture.failedFuture(new IllegalStateException("bus down")));
        assertTrue(failed.isCompletedExceptionally());
        assertEquals(3, window.once("k", () -> CompletableFuture.completedFuture(3)).join());
        assertEquals(1, window.size());
    }
}
