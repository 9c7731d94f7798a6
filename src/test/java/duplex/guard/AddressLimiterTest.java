package duplex.guard;

import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AddressLimiterTest {

    @Test
    void countsPerAddressAndForgetsEmptyOnes() {
        AddressLimiter limiter = new AddressLimiter(2);
        assertTrue(limiter.tryAcquire("a"));
        assertTrue(limiter.tryAcquire("a"));
        assertFalse(limiter.tryAcquire("a"));
        assertTrue(limiter.tryAcquire("b"));
        assertEquals(2, limiter.count("a"));
        limiter.release("a");
        assertTrue(limiter.tryAcquire("a"));
        limiter.release("a");
        limiter.release("a");
        limiter.release("b");
        assertEquals(0, limiter.addresses());
        limiter.release("never-seen"); // harmless
        assertEquals(0, limiter.count("never-seen"));
    }

    @Test
    void neverAdmitsMoreThanTheBoundUnderContention() throws Exception {
        AddressLimiter limiter = new AddressLimiter(100);
        AtomicInteger admitted = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        for (int i = 0; i < 1000; i++) {
            pool.execute(() -> {
                if (limiter.tryAcquire("x")) {
                    admitted.incrementAndGet();
                }
            });
        }
        pool.shutdown();
        assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        assertEquals(100, admitted.get());
        assertEquals(100, limiter.count("x"));
    }
}
