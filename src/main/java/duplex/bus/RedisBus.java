package duplex.bus;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The bus over Redis (Lettuce): every node of a cluster sees one chat.
 *
 * <p>Per room: {@code duplex:room:R:seq} (the counter), {@code duplex:room:R:log} (a capped
 * stream whose entry ids are {@code seq-0}), {@code duplex:room:R:members} (hash: member id to
 * node and name) and the channel {@code duplex:room:R}. A post is one Lua script that
 * increments the counter, appends to the log and publishes, atomically: the seq is gapless and
 * the channel carries messages in seq order to every node. A node that sees a gap (its
 * subscription was down for a moment) fills it from the log before delivering.
 *
 * <p>Presence: each node keeps {@code duplex:node:ID} alive with a TTL and, every heartbeat,
 * re-announces its own members and removes the members of nodes whose key expired (publishing
 * {@code left} once, from inside a script). So a dead node's members vanish within the node
 * timeout plus a heartbeat, and after Redis loses its data everything is re-announced.
 *
 * <p>Faults: commands are rejected at once while disconnected (a post fails with
 * {@link BusUnavailableException} instead of waiting), Lettuce reconnects with jittered backoff
 * and resubscribes, and after a reconnect each room catches up from its log.
 *
 * <p>This class wires the parts and owns the heartbeat and the close: {@link RedisConnection}
 * (Lettuce, the connections, command submission, status), {@link RedisRoomLink} (one room),
 * {@link RedisTopics}, {@link RedisLeadership} (one lease) and {@link BusThreads} (every thread
 * the bus starts).
 */
public final class RedisBus implements Bus {

    private static final System.Logger LOG = System.getLogger(RedisBus.class.getName());

    /** Where and how fast. {@code heartbeat} is how often presence and leases are renewed. */
    public record Options(String url, Duration timeout, Duration heartbeat, Duration nodeTimeout) {
    }

    // The scripts, each run atomically by Redis: src/main/resources/duplex/bus/*.lua, whose
    // first lines say what their KEYS and ARGV are. Loaded with this class, so that a missing
    // one fails the bus's start, not a call.
    static final RedisScript POST = RedisScript.load("post.lua");
    static final RedisScript SNAPSHOT = RedisScript.load("snapshot.lua");
    static final RedisScript JOIN = RedisScript.load("join.lua");
    static final RedisScript LEAVE = RedisScript.load("leave.lua");
    static final RedisScript RENAME = RedisScript.load("rename.lua");
    static final RedisScript SYNC = RedisScript.load("sync.lua");
    static final RedisScript LEASE = RedisScript.load("lease.lua");
    static final RedisScript RELEASE = RedisScript.load("release.lua");

    private final String nodeId;
    private final BusThreads threads = new BusThreads();
    private final RedisConnection connection;
    private final RedisTopics topics;
    private final Map<String, RedisRoomLink> links = new ConcurrentHashMap<>();
    private final List<RedisLeadership> leaderships = new CopyOnWriteArrayList<>();

    public RedisBus(Options options) {
        this.nodeId = newNodeId();
        this.connection = new RedisConnection(options, nodeId, threads, this::channels, this::deliver);
        this.topics = new RedisTopics(connection);
        try {
            // A first start loads Netty and Lettuce: allow more than one command's timeout.
            threads.heartbeat().submit(connection::connect)
                    .get(Math.max(10_000, options.timeout().toMillis() * 3), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // Start anyway: the heartbeat keeps trying, and rooms answer "unavailable" meanwhile.
            LOG.log(System.Logger.Level.WARNING, "Redis at {0} not reachable yet ({1}); retrying every {2}",
                    redacted(options.url()), String.valueOf(e.getCause() == null ? e : e.getCause()), options.heartbeat());
        }
        long tick = options.heartbeat().toMillis();
        threads.heartbeat().scheduleWithFixedDelay(this::heartbeat, tick, tick, TimeUnit.MILLISECONDS);
        LOG.log(System.Logger.Level.INFO, "Redis bus for node {0} at {1}", nodeId, redacted(options.url()));
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public boolean clustered() {
        return true;
    }

    /** Connected, or reconnecting since when (for /health, which reports DOWN after a grace). */
    @Override
    public BusStatus status() {
        return connection.status();
    }

    /** True while both connections to Redis are up. */
    public boolean connected() {
        return connection.connected();
    }

    @Override
    public RoomLink link(String room, int historySize, RoomListener listener) {
        try {
            return open(room, historySize, listener).join(); // bounded: open() times out on its own
        } catch (java.util.concurrent.CompletionException e) {
            throw RedisConnection.unavailable("room " + room, e);
        }
    }

    @Override
    public CompletableFuture<RoomLink> open(String room, int historySize, RoomListener listener) {
        RedisRoomLink link = new RedisRoomLink(connection, threads.events(), room, historySize, listener,
                l -> links.remove(room, l));
        if (links.putIfAbsent(room, link) != null) {
            return CompletableFuture.failedFuture(new IllegalStateException("room " + room + " is already linked on this node"));
        }
        // Loaded on the events thread, after whatever the new subscription already delivered:
        // later events are then applied on top, idempotently.
        CompletableFuture<Void> loaded = connection.subscribe(link.channel())
                .thenCompose(subscribed -> CompletableFuture.runAsync(link::load, threads.events()));
        // Bounded on the bus's own scheduler: orTimeout would start the JDK's shared delay thread,
        // which outlives an undeployed application (Tomcat reports it as a leak).
        long bound = 2 * connection.options().timeout().toMillis() + 1000;
        try {
            java.util.concurrent.ScheduledFuture<?> timeout = threads.heartbeat().schedule(() -> loaded.completeExceptionally(
                    new BusUnavailableException("Redis did not open room " + room + " within " + bound + " ms")), bound, TimeUnit.MILLISECONDS);
            loaded.whenComplete((ignored, failure) -> timeout.cancel(false));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            loaded.completeExceptionally(new BusUnavailableException("the bus is closed"));
        }
        return loaded
                .handle((done, failure) -> {
                    if (failure == null) {
                        return link;
                    }
                    links.remove(room, link);
                    connection.unsubscribe(link.channel());
                    throw RedisConnection.unavailable("room " + room, failure);
                });
    }

    @Override
    public Topic topic(String name, Consumer<String> receiver) {
        return topics.topic(name, receiver);
    }

    @Override
    public Leadership lead(String name, Leadership.Listener listener) {
        RedisLeadership leadership = new RedisLeadership(connection, threads.heartbeat(), name, listener, leaderships::remove);
        leaderships.add(leadership);
        threads.heartbeat().execute(leadership::renew); // compete now, not a heartbeat later
        return leadership;
    }

    /** What the pub/sub connection subscribes to when it is (re)made. */
    private List<String> channels() {
        List<String> channels = new ArrayList<>(topics.channels());
        for (RedisRoomLink link : links.values()) {
            channels.add(link.channel());
        }
        return channels;
    }

    /** A pub/sub message, on the events thread: to a topic's receivers or to a room's link. */
    private void deliver(String channel, String message) {
        if (RedisTopics.isTopic(channel)) {
            topics.deliver(channel, message);
        } else {
            RedisRoomLink link = links.get(RedisRoomLink.roomOf(channel));
            if (link != null && link.channel().equals(channel)) {
                link.onEvent(message);
            }
        }
    }

    private void heartbeat() {
        connection.keepAlive();
        boolean catchUp = connection.takeReconnected();
        // The rooms' syncs are sent, not awaited: the leases below are renewed on time however
        // many rooms there are and however slowly Redis answers.
        for (RedisRoomLink link : links.values()) {
            try {
                link.sync(catchUp && link.ready() ? link::catchUp : null).exceptionally(e -> {
                    syncFailed(link, catchUp, e);
                    return null;
                });
            } catch (RuntimeException e) {
                syncFailed(link, catchUp, e);
            }
        }
        for (RedisLeadership leadership : leaderships) {
            leadership.renew();
        }
    }

    private void syncFailed(RedisRoomLink link, boolean catchUp, Throwable e) {
        if (catchUp) {
            connection.markReconnected(); // try again next time
        }
        LOG.log(System.Logger.Level.DEBUG, "room {0}: sync failed: {1}", link.room(), e.toString());
    }

    /**
     * Stops this node's part in the cluster: leases released (another node takes over at once),
     * this node's members and liveness key removed, then Lettuce's connections and Netty threads
     * shut down and awaited (Tomcat otherwise reports them as leaked), and last every thread of
     * the bus's own joined.
     */
    @Override
    public void close() {
        if (!connection.beginClose()) {
            return;
        }
        for (RedisLeadership leadership : List.copyOf(leaderships)) {
            leadership.close();
        }
        threads.stopHeartbeat();
        for (RedisRoomLink link : List.copyOf(links.values())) {
            try {
                link.close();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "room {0}: not removed from Redis: {1}", link.room(), e.toString());
            }
        }
        // Queued after the links' removals, answered after them on the same connection.
        connection.removeNodeKey();
        threads.drain();
        connection.shutdown();
        threads.join();
        LOG.log(System.Logger.Level.INFO, "Redis bus for node {0} stopped", nodeId);
    }

    private static String newNodeId() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "node";
        }
        return host + "-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 6);
    }

    /** The URL without its password, for logs. */
    static String redacted(String url) {
        return url.replaceAll("//[^@/]*@", "//***@");
    }
}
