package duplex.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/** The client side of the load: a few IO threads, each serving many connections. */
final class Engine implements AutoCloseable {

    private final IoLoop[] loops;
    private final AtomicInteger nextId = new AtomicInteger();

    Engine(int threads) {
        loops = new IoLoop[threads];
        for (int i = 0; i < threads; i++) {
            loops[i] = new IoLoop(i);
        }
    }

    int threads() {
        return loops.length;
    }

    /** CPU time used by all IO threads so far, in nanoseconds. */
    long cpuNanos() {
        long sum = 0;
        for (IoLoop loop : loops) {
            sum += loop.cpuNanos();
        }
        return sum;
    }

    /**
     * Opens {@code count} connections, at most {@code concurrency} handshakes at a time (a burst
     * of thousands of SYNs would overflow the server's accept backlog and measure TCP retries,
     * not the server), and returns once all are open. Fails if any is refused.
     */
    List<Conn> open(URI uri, int count, int concurrency, IntFunction<Conn.Handler> handlers, Duration timeout) {
        return open(i -> uri, count, concurrency, handlers, timeout);
    }

    /** As above, connection {@code i} to {@code uris.apply(i)}. */
    List<Conn> open(IntFunction<URI> uris, int count, int concurrency, IntFunction<Conn.Handler> handlers, Duration timeout) {
        return open(uris, count, concurrency, handlers, timeout, i -> Conn.Opening.PLAIN);
    }

    /** As above, connection {@code i} opened as {@code openings.apply(i)} says (extension offer, source address). */
    List<Conn> open(IntFunction<URI> uris, int count, int concurrency, IntFunction<Conn.Handler> handlers, Duration timeout,
                    IntFunction<Conn.Opening> openings) {
        Semaphore slots = new Semaphore(concurrency);
        CountDownLatch done = new CountDownLatch(count);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicInteger failures = new AtomicInteger();
        List<Conn> conns = new ArrayList<>(count);
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            for (int i = 0; i < count; i++) {
                if (!slots.tryAcquire(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    throw new IllegalStateException("timed out opening connections: " + conns.size() + " started, "
                            + (count - done.getCount()) + " done, " + failures.get() + " failed");
                }
                Conn.Handler scenario = handlers.apply(i);
                Conn.Handler tracking = new Conn.Handler() {
                    @Override
                    public void opened(Conn conn) {
                        slots.release();
                        done.countDown();
                        scenario.opened(conn);
                    }

                    @Override
                    public void message(Conn conn, java.nio.ByteBuffer payload, boolean text) {
                        scenario.message(conn, payload, text);
                    }

                    @Override
                    public void closed(Conn conn, int code) {
                        scenario.closed(conn, code);
                    }

                    @Override
                    public void failed(Conn conn, Throwable error) {
                        failures.incrementAndGet();
                        failure.compareAndSet(null, error);
                        slots.release();
                        done.countDown();
                        scenario.failed(conn, error);
                    }
                };
                int id = nextId.getAndIncrement();
                conns.add(new Conn(loops[id % loops.length], id, uris.apply(i), tracking, openings.apply(i)));
            }
            if (!done.await(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException("timed out opening connections: " + (count - done.getCount()) + " of " + count);
            }
        } catch (IOException e) {
            closeAll(conns, Duration.ofSeconds(2));
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (RuntimeException e) {
            closeAll(conns, Duration.ofSeconds(2));
            throw e;
        }
        if (failures.get() > 0) {
            closeAll(conns, Duration.ofSeconds(2));
            throw new IllegalStateException(failures.get() + " of " + count + " connections failed to open: " + failure.get(), failure.get());
        }
        return conns;
    }

    /** Closes politely (close frame, wait for the server's), then drops whatever is left. */
    static void closeAll(List<Conn> conns, Duration wait) {
        for (Conn conn : conns) {
            conn.close();
        }
        long deadline = System.nanoTime() + wait.toNanos();
        for (Conn conn : conns) {
            while (!conn.isClosed() && System.nanoTime() < deadline) {
                sleepMillis(5);
            }
            if (!conn.isClosed()) {
                conn.abort();
            }
        }
    }

    static void sleepMillis(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        for (IoLoop loop : loops) {
            loop.stop();
        }
    }
}
