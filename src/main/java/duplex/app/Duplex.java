package duplex.app;

import duplex.delivery.Connections;
import duplex.echo.EchoEndpoint;
import jakarta.websocket.CloseReason;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The composition root: builds every shared part once, hands each endpoint instance what it
 * needs, and stops everything it started. One per deployed application.
 */
public final class Duplex implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Duplex.class.getName());

    /** Every endpoint class of the application; the embedded test server deploys exactly these. */
    public static final List<Class<?>> ENDPOINTS = List.of(EchoEndpoint.class);

    private final Settings settings;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService closer;
    private final Connections connections;
    private final Map<Class<?>, Supplier<Object>> endpointFactories;

    public Duplex(Settings settings) {
        this.settings = settings;
        this.scheduler = new ScheduledThreadPoolExecutor(1, named("duplex-scheduler"));
        // Closing a stalled peer can block for the container's send timeout; several closers
        // keep one such peer from delaying the close of the others.
        this.closer = new ThreadPoolExecutor(4, 4, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), named("duplex-closer"));
        ((ThreadPoolExecutor) closer).allowCoreThreadTimeOut(true);
        this.connections = new Connections(new Connections.Limits(
                settings.outboxMaxMessages(), settings.outboxMaxBytes(), settings.sendTimeout(),
                settings.idleTimeout(), settings.pingInterval()), scheduler, closer);
        this.endpointFactories = Map.of(
                EchoEndpoint.class, () -> new EchoEndpoint(settings, connections));
    }

    public Settings settings() {
        return settings;
    }

    public Connections connections() {
        return connections;
    }

    /** A new instance of an endpoint class, wired to the shared parts: one per connection. */
    <T> T newEndpoint(Class<T> type) {
        Supplier<Object> factory = endpointFactories.get(type);
        if (factory == null) {
            throw new IllegalArgumentException("Not a Duplex endpoint: " + type.getName());
        }
        return type.cast(factory.get());
    }

    /**
     * Graceful stop: every connection is closed with 1001 Going Away, then every thread this
     * object started is stopped and awaited.
     */
    @Override
    public void close() {
        connections.closeAll(new CloseReason(CloseReason.CloseCodes.GOING_AWAY, "server shutting down"), Duration.ofSeconds(5));
        scheduler.shutdownNow();
        closer.shutdown();
        try {
            if (!scheduler.awaitTermination(5, TimeUnit.SECONDS) || !closer.awaitTermination(5, TimeUnit.SECONDS)) {
                closer.shutdownNow();
                LOG.log(System.Logger.Level.WARNING, "Duplex threads did not stop within 5 s");
            }
        } catch (InterruptedException e) {
            closer.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    static ThreadFactory named(String prefix) {
        AtomicInteger counter = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
