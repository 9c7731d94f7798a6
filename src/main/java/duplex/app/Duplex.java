package duplex.app;

import duplex.api.ApiKeys;
import duplex.api.ApiServlet;
import duplex.api.Idempotency;
import duplex.guard.RateLimiter;
import duplex.live.Channels;
import duplex.live.LiveEndpoint;
import duplex.live.Namespaces;
import duplex.bus.Bus;
import duplex.bus.LocalBus;
import duplex.bus.RedisBus;
import duplex.chat.ChatEndpoint;
import duplex.chat.Rooms;
import duplex.connection.Connections;
import duplex.delivery.Fanout;
import duplex.echo.EchoEndpoint;
import duplex.guard.AddressLimiter;
import duplex.guard.AddressRates;
import duplex.guard.MemoryBudget;
import duplex.guard.OriginPolicy;
import duplex.ops.EndpointMetrics;
import duplex.ops.Health;
import duplex.ops.Metrics;
import duplex.ops.StatsEndpoint;
import duplex.ops.StatsPublisher;
import duplex.quotes.ClusterFeed;
import duplex.quotes.Feed;
import duplex.quotes.QuoteHub;
import duplex.quotes.QuotesEndpoint;
import duplex.quotes.SimulatedFeed;
import jakarta.websocket.CloseReason;

import java.time.Clock;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
    public static final List<Class<?>> ENDPOINTS = List.of(EchoEndpoint.class, ChatEndpoint.class, StatsEndpoint.class, QuotesEndpoint.class,
            LiveEndpoint.class);
    /** The endpoint names their metrics are reported under (the {@code endpoint} label). */
    static final List<String> ENDPOINT_NAMES = List.of(EchoEndpoint.NAME, ChatEndpoint.NAME, StatsPublisher.ENDPOINT, QuotesEndpoint.NAME,
            LiveEndpoint.NAME);

    private final Settings settings;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService closer;
    private final ExecutorService pinger;
    private final ExecutorService roomTurns;
    private final ExecutorService writers;
    private final MemoryBudget budget;
    private final Metrics metrics;
    private final Connections connections;
    private final Bus bus;
    private final Health health;
    private final StatsPublisher stats;
    private final Rooms rooms;
    private final QuoteHub quotes;
    private final Channels channels;
    private final ApiServlet api;
    private final Map<Class<?>, Supplier<Object>> endpointFactories;
    /** Threads started by {@link #named} that may still be alive; see there. */
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private volatile boolean serving = true;
    private final OriginPolicy originPolicy;
    /** Proves that a request header was set by this deployment's HandshakeGuard, not by a client. */
    private final String handshakeToken;

    public Duplex(Settings settings) {
        this.settings = settings;
        this.scheduler = new ScheduledThreadPoolExecutor(1, named("duplex-scheduler"));
        // Closing a stalled peer can block for the container's send timeout; several closers
        // keep one such peer from delaying the close of the others.
        this.closer = new ThreadPoolExecutor(4, 4, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), named("duplex-closer"));
        ((ThreadPoolExecutor) closer).allowCoreThreadTimeOut(true);
        // Pings block (the API has no asynchronous ping) until written or the blocking-send
        // timeout: a pool of their own, so that neither the heartbeat nor the closes wait for them.
        this.pinger = new ThreadPoolExecutor(4, 4, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), named("duplex-pinger"));
        ((ThreadPoolExecutor) pinger).allowCoreThreadTimeOut(true);
        // Where chat rooms apply joins and leaves (chat.Room), so that no container thread waits
        // for a room: one task per room at a time, so a few threads serve every room.
        this.roomTurns = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), named("duplex-rooms"));
        ((ThreadPoolExecutor) roomTurns).allowCoreThreadTimeOut(true);
        // The writers start the sends of broadcasts (Fanout), so that the thread that received a
        // message is free to read the next one: one per core, short non-blocking tasks.
        int cores = Math.max(2, Runtime.getRuntime().availableProcessors());
        this.writers = new ThreadPoolExecutor(cores, cores, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), named("duplex-writers"));
        ((ThreadPoolExecutor) writers).allowCoreThreadTimeOut(true);
        this.budget = new MemoryBudget(settings.memoryPerAddress(), settings.memoryTotal());
        this.metrics = new Metrics(ENDPOINT_NAMES);
        this.originPolicy = settings.originPolicy();
        byte[] secret = new byte[16];
        new SecureRandom().nextBytes(secret);
        this.handshakeToken = HexFormat.of().formatHex(secret);
        this.connections = new Connections(new Connections.Limits(
                settings.outboxMaxMessages(), settings.outboxMaxBytes(), settings.sendTimeout(),
                settings.idleTimeout(), settings.pingInterval(), settings.blockingSendTimeout(),
                settings.maxSendsInFlight(), settings.groupedWrites()), scheduler, closer, pinger,
                metrics::endpoint, new Connections.PerAddress(new AddressLimiter(settings.maxConnectionsPerAddress()),
                        new AddressRates(settings.addressRateLimit()), budget));
        this.bus = newBus(settings);
        metrics.bus(bus::status);
        EndpointMetrics chatMetrics = metrics.endpoint(ChatEndpoint.NAME);
        this.rooms = new Rooms(new Rooms.Limits(settings.chatHistory(), settings.chatRoomLinger(), settings.chatMaxRooms(),
                settings.chatMaxRoomsPerAddress(), settings.chatPresenceTick(), settings.chatMembersPage()), Clock.systemUTC(), scheduler, chatMetrics::fanOut, bus, budget, roomTurns,
                new Fanout(writers));
        metrics.rooms(rooms::occupied, rooms::lingering);
        metrics.budget(budget);
        this.health = new Health(() -> serving, this::openSessions, rooms::occupied, rooms::lingering, bus::status,
                settings.healthBusGrace());
        this.stats = new StatsPublisher(metrics, health, scheduler, settings.statsInterval());
        // The feed's thread exists only while someone is subscribed; close() stops it for good.
        Feed feed = new SimulatedFeed(settings.quotesTicksPerSecond(), settings.quotesSeed(),
                Clock.systemUTC(), named(QuoteHub.FEED_THREAD));
        // In a cluster one node runs the feed and every node shows its prices.
        this.quotes = new QuoteHub(bus.clustered() ? new ClusterFeed(feed, bus) : feed);
        metrics.conflatedQuotes(quotes::conflatedUpdates);
        EndpointMetrics echoMetrics = metrics.endpoint(EchoEndpoint.NAME);
        EndpointMetrics statsMetrics = metrics.endpoint(StatsPublisher.ENDPOINT);
        EndpointMetrics quotesMetrics = metrics.endpoint(QuotesEndpoint.NAME);
        EndpointMetrics liveMetrics = metrics.endpoint(LiveEndpoint.NAME);
        this.channels = new Channels(Namespaces.load(settings.liveNamespaces()), bus, budget, new Fanout(writers), Clock.systemUTC(),
                new Channels.Limits(settings.liveMaxChannels(), settings.liveChannelLinger(), settings.liveHistoryMemory(),
                        settings.chatPresenceTick(), settings.chatMembersPage()), scheduler, roomTurns);
        this.api = new ApiServlet(new ApiServlet.Parts(ApiKeys.parse(settings.apiKeys()), channels, rooms, connections,
                new Idempotency<>(settings.apiIdempotencyWindow()),
                new RateLimiter.Policy(settings.apiRequestsPerSecond(), (int) Math.max(1, Math.min(10_000_000, 2 * settings.apiRequestsPerSecond())), 1),
                settings.liveMaxPublicationBytes(), settings.redisTimeout().multipliedBy(2).plusSeconds(1)));
        this.endpointFactories = Map.of(
                EchoEndpoint.class, () -> new EchoEndpoint(settings, connections, echoMetrics),
                ChatEndpoint.class, () -> new ChatEndpoint(settings, connections, rooms, chatMetrics),
                StatsEndpoint.class, () -> new StatsEndpoint(connections, stats, statsMetrics),
                QuotesEndpoint.class, () -> new QuotesEndpoint(connections, quotes, settings.rateLimit(), quotesMetrics),
                LiveEndpoint.class, () -> new LiveEndpoint(connections, channels, settings.liveLimits(), settings.rateLimit(), liveMetrics));
    }

    public Settings settings() {
        return settings;
    }

    public Connections connections() {
        return connections;
    }

    public OriginPolicy originPolicy() {
        return originPolicy;
    }

    public String handshakeToken() {
        return handshakeToken;
    }

    /** What clients make the server hold, per address and in all. */
    public MemoryBudget budget() {
        return budget;
    }

    public Metrics metrics() {
        return metrics;
    }

    public Health health() {
        return health;
    }

    /** Open sessions per endpoint, every endpoint listed (zero included). */
    private Map<String, Integer> openSessions() {
        Map<String, Integer> open = new LinkedHashMap<>();
        for (EndpointMetrics endpoint : metrics.endpoints()) {
            open.put(endpoint.name(), endpoint.openSessions());
        }
        return open;
    }

    public Rooms rooms() {
        return rooms;
    }

    /** Room and feed traffic between nodes: in-process unless duplex.redis-url is set. */
    public Bus bus() {
        return bus;
    }

    private static Bus newBus(Settings settings) {
        if (settings.redisUrl().isEmpty()) {
            return new LocalBus();
        }
        return new RedisBus(new RedisBus.Options(settings.redisUrl(), settings.redisTimeout(),
                settings.clusterHeartbeat(), settings.clusterNodeTimeout()));
    }

    public QuoteHub quotes() {
        return quotes;
    }

    public Channels channels() {
        return channels;
    }

    /** The HTTP API for backends ({@code /api/*}), which the listener registers. */
    public ApiServlet api() {
        return api;
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
        serving = false;
        stats.close();
        quotes.close(); // no more ticks into outboxes that are about to close
        connections.closeAll(new CloseReason(CloseReason.CloseCodes.GOING_AWAY, "server shutting down"), Duration.ofSeconds(5));
        // The leaves of the connections just closed are still taken, and announced before the bus closes.
        roomTurns.shutdown();
        try {
            roomTurns.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        rooms.close();
        channels.close();
        writers.shutdown(); // the last broadcasts' writes (to connections closed by now) finish
        // After the connections, so that members leaving are still announced to the cluster.
        bus.close();
        scheduler.shutdownNow();
        closer.shutdown();
        pinger.shutdownNow(); // pings queued for connections that are closed by now
        try {
            if (!scheduler.awaitTermination(5, TimeUnit.SECONDS) || !closer.awaitTermination(5, TimeUnit.SECONDS)
                    || !pinger.awaitTermination(5, TimeUnit.SECONDS) || !roomTurns.awaitTermination(5, TimeUnit.SECONDS)
                    || !writers.awaitTermination(5, TimeUnit.SECONDS)) {
                closer.shutdownNow();
                roomTurns.shutdownNow();
                writers.shutdownNow();
                LOG.log(System.Logger.Level.WARNING, "Duplex threads did not stop within 5 s");
            }
        } catch (InterruptedException e) {
            closer.shutdownNow();
            Thread.currentThread().interrupt();
        } finally {
            joinThreads(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
            metrics.close();
        }
    }

    /**
     * A factory of named daemon threads that {@link #close} waits for. Executors report
     * termination when their last worker has left its loop, a moment before the thread itself
     * ends; Tomcat checks for live threads right after undeploy and would report that moment as
     * a leak, so close() also joins every thread started here.
     */
    private ThreadFactory named(String prefix) {
        AtomicInteger counter = new AtomicInteger();
        return runnable -> {
            threads.removeIf(t -> !t.isAlive()); // pools replace idle threads: keep only live ones
            Thread thread = new Thread(runnable, prefix + "-" + counter.incrementAndGet());
            thread.setDaemon(true);
            threads.add(thread);
            return thread;
        };
    }

    /** Waits, until the deadline, for every thread this object started to end; names any that did not. */
    private void joinThreads(long deadlineNanos) {
        for (Thread thread : threads) {
            try {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (thread.isAlive()) {
                LOG.log(System.Logger.Level.WARNING, "thread {0} did not end on close", thread.getName());
            }
        }
    }
}
