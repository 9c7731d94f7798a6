package duplex.quotes;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A made-up market: a fixed universe of symbols, each a seeded random walk that moves on every
 * tick. The same seed gives the same prices in the same order, which makes demos and tests
 * reproducible. Prices are kept in whole cents ({@code long}); only the size of a step is drawn
 * as a double, never a price.
 *
 * <p>Its thread exists only between {@link #start} and {@link #stop}; the thread factory comes
 * from the composition root, which names it and stops it on shutdown.
 */
public final class SimulatedFeed implements Feed {

    private static final System.Logger LOG = System.getLogger(SimulatedFeed.class.getName());

    /** The universe and each symbol's opening price in cents. */
    static final Map<String, Long> OPENING_CENTS = openingPrices();

    /** Volatility per second, as a fraction of the price; per tick it is scaled by 1/sqrt(rate). */
    private static final double VOLATILITY_PER_SECOND = 0.002;
    /** A walk that falls this low turns back up: prices stay positive. */
    private static final long FLOOR_CENTS = 100;

    private final int ticksPerSecond;
    private final Clock clock;
    private final ThreadFactory threads;
    /** The ticker's threads, joined on stop. */
    private final java.util.List<Thread> tickerThreads = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Random random;
    private final List<String> symbols = List.copyOf(OPENING_CENTS.keySet());
    private final long[] opening;
    private final long[] cents;
    private volatile List<Quote> current;

    /** Guarded by {@code this}. */
    private ScheduledExecutorService ticker;
    /** Only touched by the ticking thread. */
    private long listenerFailures;

    public SimulatedFeed(int ticksPerSecond, long seed, Clock clock, ThreadFactory threads) {
        if (ticksPerSecond < 1) {
            throw new IllegalArgumentException("ticksPerSecond must be at least 1");
        }
        this.ticksPerSecond = ticksPerSecond;
        this.clock = clock;
        this.threads = threads;
        this.random = new Random(seed);
        this.opening = symbols.stream().mapToLong(OPENING_CENTS::get).toArray();
        this.cents = opening.clone();
        Instant now = clock.instant();
        List<Quote> quotes = new ArrayList<>();
        for (int i = 0; i < symbols.size(); i++) {
            quotes.add(quote(i, now));
        }
        this.current = List.copyOf(quotes);
    }

    @Override
    public List<String> symbols() {
        return symbols;
    }

    @Override
    public List<Quote> current() {
        return current;
    }

    public int ticksPerSecond() {
        return ticksPerSecond;
    }

    @Override
    public synchronized void start(Consumer<List<Quote>> listener) {
        if (ticker != null) {
            return;
        }
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = threads.newThread(runnable);
            tickerThreads.add(thread);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
        long period = TimeUnit.SECONDS.toNanos(1) / ticksPerSecond;
        executor.scheduleAtFixedRate(() -> {
            try {
                listener.accept(tick());
            } catch (RuntimeException e) {
                // A listener failure must not cancel the schedule (an exception would, silently);
                // the first one is logged in full, repeats (up to 1000 a second) only at DEBUG.
                LOG.log(listenerFailures++ == 0 ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG, "quote listener failed", e);
            }
        }, period, period, TimeUnit.NANOSECONDS);
        ticker = executor;
        LOG.log(System.Logger.Level.DEBUG, "feed started: {0} symbols, {1} ticks/s each", symbols.size(), ticksPerSecond);
    }

    @Override
    public synchronized void stop() {
        if (ticker == null) {
            return;
        }
        ticker.shutdownNow();
        try {
            if (!ticker.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "feed thread did not stop within 5 s");
            }
            // A pool reports termination a moment before its thread has ended: wait for the thread.
            for (Thread thread : tickerThreads) {
                thread.join(1000);
            }
            tickerThreads.clear();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ticker = null;
        LOG.log(System.Logger.Level.DEBUG, "feed stopped");
    }

    /** Continues each known symbol's walk from the given price (in whole cents, as the walk keeps it). */
    @Override
    public void continueFrom(List<Quote> last) {
        synchronized (cents) {
            for (Quote quote : last) {
                int i = symbols.indexOf(quote.symbol());
                if (i >= 0) {
                    cents[i] = quote.price().movePointRight(2).longValue();
                }
            }
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return ticker != null;
    }

    /**
     * Moves every symbol one step and returns the new quotes. Called by the feed's own thread
     * (one at a time), and directly by tests.
     */
    List<Quote> tick() {
        Instant now = clock.instant();
        double scale = VOLATILITY_PER_SECOND / Math.sqrt(ticksPerSecond);
        List<Quote> quotes = new ArrayList<>(symbols.size());
        synchronized (cents) {
            for (int i = 0; i < cents.length; i++) {
                long step = Math.round(random.nextGaussian() * scale * cents[i]);
                if (step == 0) {
                    step = random.nextBoolean() ? 1 : -1; // every tick is a change
                }
                if (cents[i] + step < FLOOR_CENTS) {
                    step = Math.abs(step);
                }
                cents[i] += step;
                quotes.add(quote(i, now));
            }
        }
        List<Quote> batch = List.copyOf(quotes);
        current = batch;
        return batch;
    }

    private Quote quote(int i, Instant ts) {
        return new Quote(symbols.get(i), BigDecimal.valueOf(cents[i], 2), BigDecimal.valueOf(cents[i] - opening[i], 2), ts);
    }

    private static Map<String, Long> openingPrices() {
        Map<String, Long> prices = new LinkedHashMap<>();
        prices.put("ACME", 12_345L);
        prices.put("GLOBEX", 8_720L);
        prices.put("INITECH", 4_210L);
        prices.put("UMBRELLA", 25_600L);
        prices.put("HOOLI", 102_450L);
        prices.put("STARK", 31_075L);
        prices.put("WAYNE", 19_830L);
        prices.put("WONKA", 6_480L);
        prices.put("CYBERDYNE", 51_225L);
        prices.put("TYRELL", 14_560L);
        prices.put("SOYLENT", 2_395L);
        prices.put("VANDELAY", 1_840L);
        prices.put("PIEDPIPER", 7_215L);
        prices.put("OSCORP", 13_370L);
        prices.put("AVIATO", 985L);
        prices.put("MONARCH", 5_555L);
        prices.put("DUNDER", 3_120L);
        prices.put("BLUTH", 1_235L);
        prices.put("MASSIVE", 8_888L);
        prices.put("NAKATOMI", 41_000L);
        return Collections.unmodifiableMap(prices);
    }
}
