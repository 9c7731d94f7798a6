package duplex.ops;

import duplex.delivery.Traffic;
import duplex.protocol.ErrorCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The meters of one endpoint ({@code endpoint="echo"}, {@code "chat"}, ...). Every counter is
 * looked up once, here; the hot path only increments. Thread-safe.
 */
public final class EndpointMetrics implements Traffic {

    private final String name;
    private final MeterRegistry registry;
    private final AtomicInteger open = new AtomicInteger();
    private final Counter opened;
    private final Counter received;
    private final Counter receivedBytes;
    private final Counter sent;
    private final Counter sentBytes;
    private final Counter writes;
    private final Counter slowConsumers;
    private final Counter rateLimited;
    private final Map<ErrorCode, Counter> errors = new EnumMap<>(ErrorCode.class);
    private final Map<String, Counter> closes = new ConcurrentHashMap<>();
    private final Timer fanOut;

    EndpointMetrics(String name, MeterRegistry registry) {
        this.name = name;
        this.registry = registry;
        Gauge.builder("duplex.sessions.open", open, AtomicInteger::get)
                .description("WebSocket sessions open now")
                .tag("endpoint", name).strongReference(true).register(registry);
        opened = counter("duplex.sessions.opened", "WebSocket sessions opened since start", null);
        received = counter("duplex.messages.received", "Whole messages received from clients", null);
        receivedBytes = counter("duplex.received", "Payload bytes of the messages received from clients", BaseUnits.BYTES);
        sent = counter("duplex.messages.sent", "Whole messages written to clients", null);
        sentBytes = counter("duplex.sent", "Payload bytes of the messages written to clients", BaseUnits.BYTES);
        writes = counter("duplex.writes", "Socket writes that carried the messages sent (one carries several when they were waiting together)", null);
        slowConsumers = counter("duplex.slow.consumers", "Sessions closed with 1008 because their outbox passed its bound", null);
        rateLimited = counter("duplex.rate.limited", "Client messages dropped by the rate limit (answered with rate_limited)", null);
        for (ErrorCode code : ErrorCode.values()) {
            errors.put(code, Counter.builder("duplex.errors")
                    .description("Error messages sent to clients, by error code")
                    .tags("endpoint", name, "code", code.wire()).register(registry));
        }
        fanOut = Timer.builder("duplex.broadcast.fanout")
                .description("Time to hand one broadcast to every recipient's outbox")
                .tag("endpoint", name)
                .serviceLevelObjectives(Duration.ofNanos(100_000), Duration.ofMillis(1), Duration.ofMillis(5),
                        Duration.ofMillis(25), Duration.ofMillis(100))
                .register(registry);
    }

    private Counter counter(String meter, String description, String baseUnit) {
        return Counter.builder(meter).description(description).baseUnit(baseUnit).tag("endpoint", name).register(registry);
    }

    public String name() {
        return name;
    }

    @Override
    public void opened() {
        open.incrementAndGet();
        opened.increment();
    }

    @Override
    public void closed(int closeCode) {
        open.decrementAndGet();
        String label = closeCodeLabel(closeCode);
        Counter counter = closes.get(label);
        if (counter == null) {
            counter = closes.computeIfAbsent(label, l -> Counter.builder("duplex.closes")
                    .description("Sessions closed, by WebSocket close code (either side's)")
                    .tags("endpoint", name, "code", l).register(registry));
        }
        counter.increment();
    }

    /**
     * The {@code code} label: the standard codes and this application's 4000-4099 as themselves,
     * anything else a peer may send as {@code other}, so a client cannot grow the series count.
     */
    static String closeCodeLabel(int code) {
        return (code >= 1000 && code <= 1015) || (code >= 4000 && code <= 4099) ? Integer.toString(code) : "other";
    }

    @Override
    public void received(int bytes) {
        received.increment();
        receivedBytes.increment(bytes);
    }

    @Override
    public void written(int messages, long bytes) {
        sent.increment(messages);
        sentBytes.increment(bytes);
        writes.increment();
    }

    @Override
    public void slowConsumer() {
        slowConsumers.increment();
    }

    /** An {@code {"type":"error"}} message with this code was sent. */
    public void error(ErrorCode code) {
        errors.get(code).increment();
    }

    /** A client message was dropped by the rate limit. */
    public void rateLimited() {
        rateLimited.increment();
    }

    /** Times one broadcast's hand-off to all its recipients. */
    public void fanOut(long nanos) {
        fanOut.record(nanos, TimeUnit.NANOSECONDS);
    }

    public int openSessions() {
        return open.get();
    }

    public long openedTotal() {
        return (long) opened.count();
    }

    public long receivedTotal() {
        return (long) received.count();
    }

    public long receivedBytesTotal() {
        return (long) receivedBytes.count();
    }

    public long sentTotal() {
        return (long) sent.count();
    }

    public long sentBytesTotal() {
        return (long) sentBytes.count();
    }

    public long slowConsumersTotal() {
        return (long) slowConsumers.count();
    }

    public long rateLimitedTotal() {
        return (long) rateLimited.count();
    }

    /** Errors sent, by wire code; codes never sent are absent. */
    public Map<String, Long> errorsTotal() {
        Map<String, Long> result = new TreeMap<>();
        errors.forEach((code, counter) -> {
            if (counter.count() > 0) {
                result.put(code.wire(), (long) counter.count());
            }
        });
        return result;
    }

    /** Closes by close-code label. */
    public Map<String, Long> closesTotal() {
        Map<String, Long> result = new TreeMap<>();
        closes.forEach((code, counter) -> result.put(code, (long) counter.count()));
        return result;
    }

    public Timer fanOutTimer() {
        return fanOut;
    }
}
