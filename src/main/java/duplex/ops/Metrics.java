package duplex.ops;

import duplex.bus.BusStatus;
import duplex.guard.MemoryBudget;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The application's metrics, one instance per running Duplex, built in the composition root and
 * handed to what reports: a Micrometer {@link PrometheusMeterRegistry} with the JVM binders, and
 * one {@link EndpointMetrics} per endpoint whose counters are resolved once, so counting a
 * message is one increment. {@code /metrics} serves {@link #scrape(String)}; the dashboard reads
 * the same counters.
 *
 * <p>Names are Micrometer's dotted names, which its Prometheus naming convention turns into
 * {@code duplex_messages_received_total}, {@code duplex_sent_bytes_total} and so on.
 */
public final class Metrics implements AutoCloseable {

    /** Prometheus text format 0.0.4: what Prometheus asks for unless it prefers OpenMetrics. */
    public static final String TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    public static final String OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final Map<String, EndpointMetrics> endpoints = new ConcurrentHashMap<>();
    /** Where the quote hub keeps its count; nothing conflated until one is plugged in. */
    private volatile LongSupplier conflatedQuotes = () -> 0;

    public Metrics(Collection<String> endpointNames) {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new JvmInfoMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        FunctionCounter.builder("duplex.quotes.conflated", this, Metrics::conflatedQuotesTotal)
                .description("Quote updates replaced by a newer price of the same symbol before they were sent")
                .register(registry);
        // Every endpoint's series exist from the start, at zero, so dashboards and rate() see them.
        endpointNames.forEach(this::endpoint);
    }

    /** The metrics of one endpoint, created on first use; call once per session or endpoint, not per message. */
    public EndpointMetrics endpoint(String name) {
        return endpoints.computeIfAbsent(name, n -> new EndpointMetrics(n, registry));
    }

    /** Every endpoint's metrics, sorted by name. */
    public List<EndpointMetrics> endpoints() {
        List<EndpointMetrics> all = new ArrayList<>(endpoints.values());
        all.sort((a, b) -> a.name().compareTo(b.name()));
        return all;
    }

    /**
     * Where to read the number of quote updates dropped because a newer one of the same symbol
     * superseded them (conflation). The quotes keep that count themselves, where it happens;
     * reading it at scrape time keeps their hot path free of metrics.
     */
    public void conflatedQuotes(LongSupplier source) {
        conflatedQuotes = source;
    }

    public long conflatedQuotesTotal() {
        return conflatedQuotes.getAsLong();
    }

    /** Registers the gauges of chat rooms, occupied and lingering, read at each scrape. */
    public void rooms(Supplier<Number> rooms, Supplier<Number> lingering) {
        Gauge.builder("duplex.rooms", rooms)
                .description("Chat rooms with at least one member on this node")
                .strongReference(true)
                .register(registry);
        Gauge.builder("duplex.rooms.lingering", lingering)
                .description("Chat rooms without members, kept with their history for the linger time (they count against the room cap)")
                .strongReference(true)
                .register(registry);
    }

    /** Registers the gauges of the memory budget: what clients make the server hold, and the addresses holding it. */
    public void budget(MemoryBudget budget) {
        Gauge.builder("duplex.memory.held", budget::used)
                .description("Heap clients make the server hold (chat history, messages being assembled, echo replies), estimated")
                .baseUnit("bytes")
                .strongReference(true)
                .register(registry);
        Gauge.builder("duplex.memory.budget", budget::total)
                .description("The memory budget of all clients together (duplex.memory.total)")
                .baseUnit("bytes")
                .strongReference(true)
                .register(registry);
        Gauge.builder("duplex.memory.addresses", budget::addresses)
                .description("Client addresses that hold anything in the memory budget")
                .strongReference(true)
                .register(registry);
    }

    /** Registers the gauge of the cluster bus: 1 while it can carry messages, else 0. */
    public void bus(Supplier<BusStatus> bus) {
        Gauge.builder("duplex.bus.up", () -> bus.get().state() == BusStatus.State.RECONNECTING ? 0 : 1)
                .description("1 while the message bus can carry messages (local, or Redis connected), 0 while it is reconnecting")
                .tag("bus", bus.get().kind())
                .strongReference(true)
                .register(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The content type to answer a scrape with, chosen from its Accept header. */
    public static String contentTypeFor(String accept) {
        return accept != null && accept.toLowerCase(Locale.ROOT).contains("application/openmetrics-text")
                ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE;
    }

    /** Every metric in the format of {@code contentType} ({@link #contentTypeFor}). */
    public String scrape(String contentType) {
        return registry.scrape(contentType);
    }

    @Override
    public void close() {
        // The GC binder listens on platform MXBeans: left open it would pin this class loader.
        gc.close();
        registry.close();
    }
}
