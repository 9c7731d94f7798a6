package duplex.quotes;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulatedFeedTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T00:00:00Z"), ZoneOffset.UTC);
    private static final String THREAD = "test-feed-" + System.nanoTime();

    private static ThreadFactory threads() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, THREAD + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static SimulatedFeed feed(int rate, long seed) {
        return new SimulatedFeed(rate, seed, CLOCK, threads());
    }

    private static List<List<Quote>> ticks(SimulatedFeed feed, int n) {
        List<List<Quote>> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(feed.tick());
        }
        return all;
    }

    @Test
    void aFixedUniverseOfAboutTwentySymbols() {
        SimulatedFeed feed = feed(10, 1);
        assertEquals(20, feed.symbols().size());
        assertEquals(List.of("ACME", "GLOBEX", "INITECH"), feed.symbols().subList(0, 3));
        assertEquals(feed.symbols(), feed.current().stream().map(Quote::symbol).toList());
        assertEquals(new BigDecimal("123.45"), feed.current().get(0).price());
        assertEquals(new BigDecimal("0.00"), feed.current().get(0).change());
    }

    @Test
    void theSameSeedGivesTheSamePrices() {
        assertEquals(ticks(feed(10, 7), 200), ticks(feed(10, 7), 200));
        assertNotEquals(ticks(feed(10, 7), 50), ticks(feed(10, 8), 50));
    }

    @Test
    void everyTickMovesEveryPriceByWholeCentsAndPricesStayPositive() {
        SimulatedFeed feed = feed(1000, 3);
        List<Quote> previous = feed.current();
        for (List<Quote> batch : ticks(feed, 20_000)) {
            for (int i = 0; i < batch.size(); i++) {
                Quote quote = batch.get(i);
                assertEquals(2, quote.price().scale());
                assertTrue(quote.price().compareTo(BigDecimal.ONE) >= 0, quote.toString());
                assertNotEquals(0, quote.price().compareTo(previous.get(i).price()), "every tick is a change");
                BigDecimal opening = BigDecimal.valueOf(SimulatedFeed.OPENING_CENTS.get(quote.symbol()), 2);
                assertEquals(quote.price().subtract(opening), quote.change(), "change is against the opening price");
            }
            previous = batch;
        }
        assertEquals(previous, feed.current());
    }

    @Test
    void aStepIsSmallAgainstThePrice() {
        SimulatedFeed feed = feed(10, 5);
        List<Quote> previous = feed.current();
        for (List<Quote> batch : ticks(feed, 1000)) {
            for (int i = 0; i < batch.size(); i++) {
                BigDecimal step = batch.get(i).price().subtract(previous.get(i).price()).abs();
                assertTrue(step.compareTo(previous.get(i).price().multiply(new BigDecimal("0.01")).max(new BigDecimal("0.01"))) <= 0,
                        "a step over 1% of the price: " + batch.get(i) + " after " + previous.get(i));
            }
            previous = batch;
        }
    }

    @Test
    void itsThreadLivesOnlyBetweenStartAndStop() throws Exception {
        SimulatedFeed feed = feed(200, 9);
        assertFalse(feed.isRunning());
        assertEquals(0, liveThreads());
        BlockingQueue<List<Quote>> batches = new LinkedBlockingQueue<>();
        feed.start(batches::add);
        feed.start(batches::add); // a second start changes nothing
        assertTrue(feed.isRunning());
        for (int i = 0; i < 5; i++) {
            assertNotNull(batches.poll(20, TimeUnit.SECONDS), "ticking");
        }
        assertEquals(1, liveThreads());
        feed.stop();
        assertFalse(feed.isRunning());
        assertEquals(0, liveThreads(), "stop waits for the thread to end");
        batches.clear();
        assertEquals(null, batches.poll(100, TimeUnit.MILLISECONDS), "nothing after stop");
        feed.stop(); // safe when stopped

        feed.start(batches::add);
        assertNotNull(batches.poll(20, TimeUnit.SECONDS), "restarts");
        feed.stop();
        assertEquals(0, liveThreads());
    }

    @Test
    void aFailingListenerDoesNotStopTheTicks() throws Exception {
        SimulatedFeed feed = feed(200, 9);
        AtomicInteger calls = new AtomicInteger();
        BlockingQueue<Integer> seen = new LinkedBlockingQueue<>();
        feed.start(batch -> {
            seen.add(calls.incrementAndGet());
            throw new IllegalStateException("listener bug");
        });
        try {
            for (int i = 0; i < 3; i++) {
                assertNotNull(seen.poll(20, TimeUnit.SECONDS));
            }
        } finally {
            feed.stop();
        }
    }

    private static long liveThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(THREAD) && t.isAlive()).count();
    }
}
