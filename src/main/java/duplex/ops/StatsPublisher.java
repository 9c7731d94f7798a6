package duplex.ops;

import duplex.delivery.Frame;
import duplex.delivery.Outbox;
import duplex.protocol.Jsons;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Feeds the dashboard: every interval it reads the counters once, builds one snapshot (rates per
 * second from the change since the last one), keeps a few minutes of history, and hands the same
 * encoded frame to every {@code /stats} connection's outbox. A new dashboard first gets the
 * history, so its charts are not empty on arrival.
 */
public final class StatsPublisher implements AutoCloseable {

    public static final String ENDPOINT = "stats";
    /** How much history a new dashboard gets and the charts show. */
    static final Duration HISTORY = Duration.ofMinutes(5);

    private static final System.Logger LOG = System.getLogger(StatsPublisher.class.getName());

    /** One point of the charts. */
    record Point(long time, Map<String, Integer> connections, double receivedPerSecond, double sentPerSecond,
                 double sentBytesPerSecond) {
        JsonObject toJson() {
            JsonObjectBuilder open = Jsons.createObjectBuilder();
            connections.forEach(open::add);
            return Jsons.createObjectBuilder()
                    .add("time", time)
                    .add("connections", open)
                    .add("receivedPerSecond", round(receivedPerSecond))
                    .add("sentPerSecond", round(sentPerSecond))
                    .add("sentBytesPerSecond", round(sentBytesPerSecond))
                    .build();
        }
    }

    /** Totals over the application's endpoints (the dashboard's own stream left out). */
    private record Totals(long nanos, long received, long sent, long sentBytes) {
    }

    private final Metrics metrics;
    private final Health health;
    private final int historySize;
    private final Deque<Point> history = new ArrayDeque<>();
    private final ScheduledFuture<?> ticks;
    /** The dashboards being fed; a closed one is dropped at the next tick. */
    private final List<Outbox> subscribers = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Orders a welcome against the ticks, so a new dashboard gets its history before any snapshot. */
    private final Object sending = new Object();
    private Totals previous;

    public StatsPublisher(Metrics metrics, Health health, ScheduledExecutorService scheduler,
                          Duration interval) {
        this.metrics = metrics;
        this.health = health;
        this.historySize = (int) Math.max(1, HISTORY.toMillis() / interval.toMillis());
        this.previous = totals();
        this.ticks = scheduler.scheduleAtFixedRate(this::tick, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A dashboard connected: the history first, then the snapshots as they come. */
    public void welcome(Outbox outbox) {
        synchronized (sending) {
            outbox.send(Frame.text(historyJson()));
            subscribers.add(outbox);
        }
    }

    private void tick() {
        try {
            Frame frame = Frame.text(snapshot().toString());
            synchronized (sending) {
                subscribers.removeIf(outbox -> !outbox.isOpen());
                for (Outbox outbox : subscribers) {
                    outbox.send(frame); // the same encoded frame to everyone
                }
            }
        } catch (RuntimeException e) {
            // A failed tick must not cancel the schedule (an exception would); the next one retries.
            LOG.log(System.Logger.Level.WARNING, "stats snapshot failed: {0}", e.toString());
        }
    }

    /** Builds the next snapshot and records its point in the history. */
    JsonObject snapshot() {
        Totals now = totals();
        double seconds = Math.max(1e-3, (now.nanos() - previous.nanos()) / 1e9);
        Map<String, Integer> open = new java.util.TreeMap<>();
        for (EndpointMetrics endpoint : metrics.endpoints()) {
            open.put(endpoint.name(), endpoint.openSessions());
        }
        Point point = new Point(System.currentTimeMillis(), open,
                (now.received() - previous.received()) / seconds,
                (now.sent() - previous.sent()) / seconds,
                (now.sentBytes() - previous.sentBytes()) / seconds);
        previous = now;
        synchronized (history) {
            history.addLast(point);
            while (history.size() > historySize) {
                history.removeFirst();
            }
        }

        Health.Report report = health.check();
        JsonArrayBuilder endpoints = Jsons.createArrayBuilder();
        for (EndpointMetrics endpoint : metrics.endpoints()) {
            JsonObjectBuilder errors = Jsons.createObjectBuilder();
            endpoint.errorsTotal().forEach(errors::add);
            JsonObjectBuilder closes = Jsons.createObjectBuilder();
            endpoint.closesTotal().forEach(closes::add);
            var fanOut = endpoint.fanOutTimer();
            endpoints.add(Jsons.createObjectBuilder()
                    .add("name", endpoint.name())
                    .add("open", endpoint.openSessions())
                    .add("opened", endpoint.openedTotal())
                    .add("received", endpoint.receivedTotal())
                    .add("receivedBytes", endpoint.receivedBytesTotal())
                    .add("sent", endpoint.sentTotal())
                    .add("sentBytes", endpoint.sentBytesTotal())
                    .add("slowConsumers", endpoint.slowConsumersTotal())
                    .add("rateLimited", endpoint.rateLimitedTotal())
                    .add("errors", errors)
                    .add("closes", closes)
                    .add("fanOut", Jsons.createObjectBuilder()
                            .add("count", fanOut.count())
                            .add("meanMillis", round(fanOut.mean(TimeUnit.NANOSECONDS) / 1e6))
                            .add("maxMillis", round(fanOut.max(TimeUnit.NANOSECONDS) / 1e6))));
        }
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return Jsons.createObjectBuilder()
                .add("type", "snapshot")
                .add("status", report.status().name())
                .add("health", report.json())
                .add("point", point.toJson())
                .add("endpoints", endpoints)
                .add("rooms", report.json().getInt("rooms", 0))
                .add("conflatedQuotes", metrics.conflatedQuotesTotal())
                .add("jvm", Jsons.createObjectBuilder()
                        .add("heapUsedBytes", heap.getUsed())
                        .add("heapMaxBytes", heap.getMax())
                        .add("threads", ManagementFactory.getThreadMXBean().getThreadCount()))
                .build();
    }

    String historyJson() {
        List<Point> points;
        synchronized (history) {
            points = new ArrayList<>(history);
        }
        JsonArrayBuilder array = Jsons.createArrayBuilder();
        points.forEach(p -> array.add(p.toJson()));
        return Jsons.createObjectBuilder()
                .add("type", "history")
                .add("historySeconds", HISTORY.toSeconds())
                .add("points", array)
                .build()
                .toString();
    }

    private Totals totals() {
        long received = 0;
        long sent = 0;
        long sentBytes = 0;
        for (EndpointMetrics endpoint : metrics.endpoints()) {
            if (!endpoint.name().equals(ENDPOINT)) {
                received += endpoint.receivedTotal();
                sent += endpoint.sentTotal();
                sentBytes += endpoint.sentBytesTotal();
            }
        }
        return new Totals(System.nanoTime(), received, sent, sentBytes);
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }

    @Override
    public void close() {
        ticks.cancel(false);
    }
}
