package duplex.bus;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;

import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;

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
 */
public final class RedisBus implements Bus {

    private static final System.Logger LOG = System.getLogger(RedisBus.class.getName());
    private static final String PREFIX = "duplex:";
    private static final String NODE_PREFIX = PREFIX + "node:";
    private static final String ROOM_PREFIX = PREFIX + "room:";
    private static final String TOPIC_PREFIX = PREFIX + "topic:";
    private static final String LEASE_PREFIX = PREFIX + "lease:";
    /** Rooms nobody posts to for this long are forgotten by Redis. */
    private static final long ROOM_TTL_SECONDS = Duration.ofDays(7).toSeconds();
    private static final int MIN_LOG = 100;

    /** Where and how fast. {@code heartbeat} is how often presence and leases are renewed. */
    public record Options(String url, Duration timeout, Duration heartbeat, Duration nodeTimeout) {
    }

    // The scripts, each run atomically by Redis: src/main/resources/duplex/bus/*.lua, whose
    // first lines say what their KEYS and ARGV are. Loaded with this class, so that a missing
    // one fails the bus's start, not a call.
    private static final RedisScript POST = RedisScript.load("post.lua");
    private static final RedisScript SNAPSHOT = RedisScript.load("snapshot.lua");
    private static final RedisScript JOIN = RedisScript.load("join.lua");
    private static final RedisScript LEAVE = RedisScript.load("leave.lua");
    private static final RedisScript RENAME = RedisScript.load("rename.lua");
    private static final RedisScript SYNC = RedisScript.load("sync.lua");
    private static final RedisScript LEASE = RedisScript.load("lease.lua");
    private static final RedisScript RELEASE = RedisScript.load("release.lua");

    private final Options options;
    private final String nodeId;
    private final ClientResources resources;
    private final RedisClient client;
    private final BusThreads threads = new BusThreads();
    private final ExecutorService events = threads.events();
    private final ScheduledExecutorService ticker = threads.heartbeat();
    /** See BusThreads.commands. */
    private final ExecutorService commandsThread = threads.commands();
    private final Map<String, RedisLink> links = new ConcurrentHashMap<>();
    private final Map<String, List<Consumer<String>>> topics = new ConcurrentHashMap<>();
    private final List<RedisLeadership> leaderships = new CopyOnWriteArrayList<>();
    private final AtomicBoolean reconnected = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Object connecting = new Object();
    private volatile StatefulRedisConnection<String, String> commands;
    private volatile StatefulRedisPubSubConnection<String, String> pubsub;
    private volatile boolean wasDown;
    /** nanoTime when Redis was first found unreachable, 0 while it is reachable. */
    private volatile long downSince = System.nanoTime();

    public RedisBus(Options options) {
        this.options = options;
        this.nodeId = newNodeId();
        // Built on a thread of ours, like every other Lettuce call (see BusThreads.commands).
        Lettuce lettuce = threads.onOwnThread(() -> Lettuce.create(options, new ConnectionEvents()));
        this.resources = lettuce.resources();
        this.client = lettuce.client();
        try {
            // A first start loads Netty and Lettuce: allow more than one command's timeout.
            ticker.submit(this::connect).get(Math.max(10_000, options.timeout().toMillis() * 3), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // Start anyway: the heartbeat keeps trying, and rooms answer "unavailable" meanwhile.
            LOG.log(System.Logger.Level.WARNING, "Redis at {0} not reachable yet ({1}); retrying every {2}",
                    redacted(options.url()), String.valueOf(e.getCause() == null ? e : e.getCause()), options.heartbeat());
        }
        long tick = options.heartbeat().toMillis();
        ticker.scheduleWithFixedDelay(this::heartbeat, tick, tick, TimeUnit.MILLISECONDS);
        LOG.log(System.Logger.Level.INFO, "Redis bus for node {0} at {1}", nodeId, redacted(options.url()));
    }

    private record Lettuce(ClientResources resources, RedisClient client) {
        static Lettuce create(Options options, RedisConnectionStateListener connectionEvents) {
            RedisURI uri = RedisURI.create(options.url());
            uri.setTimeout(options.timeout());
            ClientResources resources = ClientResources.builder()
                    .ioThreadPoolSize(2)
                    .computationThreadPoolSize(1)
                    // Back on its feet soon after Redis returns, without a herd of reconnects.
                    .reconnectDelay(Delay.fullJitter(Duration.ofMillis(50), Duration.ofSeconds(2), 100, TimeUnit.MILLISECONDS))
                    .build();
            RedisClient client = RedisClient.create(resources, uri);
            client.setOptions(ClientOptions.builder()
                    .autoReconnect(true)
                    // Fail at once while disconnected: a say must get "unavailable", not wait.
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .socketOptions(SocketOptions.builder().connectTimeout(options.timeout()).keepAlive(true).build())
                    .timeoutOptions(TimeoutOptions.enabled(options.timeout()))
                    .build());
            client.addListener(connectionEvents);
            return new Lettuce(resources, client);
        }
    }

    /** Marks reconnects, after which every room catches up from its log. */
    private final class ConnectionEvents implements RedisConnectionStateListener {
        @Override
        public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
            reconnected.set(true);
        }

        @Override
        public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
            if (!closed.get()) {
                wasDown = true;
                if (downSince == 0) {
                    downSince = System.nanoTime();
                }
            }
        }
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
    public duplex.ops.BusStatus status() {
        return new duplex.ops.BusStatus() {
            @Override
            public String kind() {
                return "redis";
            }

            @Override
            public State state() {
                return connected() ? State.CONNECTED : State.RECONNECTING;
            }

            @Override
            public Duration unreachableFor() {
                long since = downSince;
                return since == 0 || connected() ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - since);
            }
        };
    }

    /** True while both connections to Redis are up. */
    public boolean connected() {
        StatefulRedisConnection<String, String> c = commands;
        StatefulRedisPubSubConnection<String, String> p = pubsub;
        return c != null && p != null && c.isOpen() && p.isOpen();
    }

    // ---------------------------------------------------------------- rooms

    @Override
    public RoomLink link(String room, int historySize, RoomListener listener) {
        RedisLink link = new RedisLink(room, new RoomState(room, historySize, listener), historySize);
        if (links.putIfAbsent(room, link) != null) {
            throw new IllegalStateException("room " + room + " is already linked on this node");
        }
        try {
            await(onBus(() -> pubsub().async().subscribe(link.channel).toCompletableFuture()));
            // Loaded on the events thread, after whatever the new subscription already
            // delivered: later events are then applied on top, idempotently.
            await(CompletableFuture.runAsync(link::load, events));
            return link;
        } catch (RuntimeException e) {
            links.remove(room, link);
            unsubscribe(link.channel);
            throw unavailable("room " + room, e);
        }
    }

    private final class RedisLink implements RoomLink {
        final String room;
        final RoomState state;
        final int historySize;
        /** The stream keeps at least MIN_LOG messages, so a node can fill a gap even with no history. */
        final int logLength;
        final String channel;
        final String seqKey;
        final String logKey;
        final String membersKey;
        volatile boolean ready;

        RedisLink(String room, RoomState state, int historySize) {
            this.room = room;
            this.state = state;
            this.historySize = historySize;
            this.logLength = Math.max(historySize, MIN_LOG);
            this.channel = ROOM_PREFIX + room;
            this.seqKey = channel + ":seq";
            this.logKey = channel + ":log";
            this.membersKey = channel + ":members";
        }

        /** On the events thread. */
        void load() {
            List<Object> result = SNAPSHOT.call(api(), ScriptOutputType.MULTI,
                    new String[] {seqKey, logKey, membersKey}, String.valueOf(historySize), NODE_PREFIX);
            long seq = (Long) result.get(0);
            List<Posted> recent = new ArrayList<>(entries(result.get(1)));
            java.util.Collections.reverse(recent);
            // This node's own entries are stale leftovers (its live members join through this link).
            List<RoomState.Present> others = present(result.get(2)).stream().filter(p -> !p.node().equals(nodeId)).toList();
            state.load(seq, recent, others);
            ready = true;
        }

        @Override
        public CompletableFuture<Long> post(String body) {
            String floor = String.valueOf(state.lastSeq());
            return onBus(() -> POST.callAsync(api(), ScriptOutputType.INTEGER, new String[] {seqKey, logKey, channel},
                            floor, body, String.valueOf(logLength), String.valueOf(ROOM_TTL_SECONDS)))
                    .<Long>thenApply(seq -> (Long) seq)
                    .exceptionallyCompose(e -> CompletableFuture.failedFuture(unavailable("post to " + room, e)));
        }

        @Override
        public void join(Member member) {
            state.joined(member, nodeId);
            fireAndForget(JOIN, new String[] {membersKey, channel}, nodeId, member.id(), label(member));
        }

        @Override
        public void leave(Member member) {
            state.left(member.id());
            fireAndForget(LEAVE, new String[] {membersKey, channel}, nodeId, member.id(), label(member));
        }

        @Override
        public void rename(Member member, String previousName) {
            state.renamed(member, nodeId, previousName);
            fireAndForget(RENAME, new String[] {membersKey, channel}, nodeId, member.id(), label(member), previousName);
        }

        @Override
        public <T> T read(Function<RoomView, T> action) {
            return state.read(action);
        }

        @Override
        public void forgetHistoryThrough(long seq) {
            state.forgetThrough(seq);
        }

        @Override
        public void close() {
            if (links.remove(room, this)) {
                ready = false;
                unsubscribe(channel);
                // Whatever this node still had there is removed. If Redis is down, the others
                // drop it once this node's key expires, or this node's next sync does.
                fireAndForget(SYNC, new String[] {membersKey, channel}, syncArgs(List.of()));
            }
        }

        /** An event from the channel, on the events thread. */
        void onEvent(String message) {
            if (!ready) {
                return; // arrived before the snapshot, which already contains it
            }
            String[] parts = message.split("\n", 3);
            switch (parts[0]) {
                case "P" -> onPosted(new Posted(Long.parseLong(parts[1]), parts[2]));
                case "J", "L", "R" -> onPresence(message);
                default -> LOG.log(System.Logger.Level.DEBUG, "room {0}: unknown event {1}", room, parts[0]);
            }
        }

        private void onPosted(Posted posted) {
            if (state.posted(posted) == RoomState.Outcome.GAP) {
                catchUp();
                if (state.posted(posted) == RoomState.Outcome.GAP) {
                    state.postedAfterLoss(posted);
                }
            }
        }

        private void onPresence(String message) {
            String[] p = message.split("\n", -1);
            if (p.length < 4 || p[1].equals(nodeId)) {
                return; // this node's own changes were applied when they happened
            }
            Member member = member(p[2], p[3]);
            switch (p[0]) {
                case "J" -> state.joined(member, p[1]);
                case "L" -> state.left(member.id());
                case "R" -> state.renamed(member, p[1], p.length > 4 ? p[4] : "");
                default -> { }
            }
        }

        /** Delivers what the log has after our last seq; on the events thread. */
        void catchUp() {
            try {
                List<Object> raw = await(api().xrange(logKey, io.lettuce.core.Range.create(
                        (state.lastSeq() + 1) + "-0", "+")).toCompletableFuture().thenApply(list -> {
                    List<Object> out = new ArrayList<>();
                    for (var m : list) {
                        out.add(new Posted(Long.parseLong(m.getId().substring(0, m.getId().indexOf('-'))), m.getBody().get("b")));
                    }
                    return out;
                }));
                for (Object o : raw) {
                    // Only what continues our sequence: if the log starts later (trimmed), the
                    // channel still has the messages in between queued behind this task, or
                    // onPosted declares them lost when the next one arrives.
                    if (state.posted((Posted) o) == RoomState.Outcome.GAP) {
                        break;
                    }
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "room {0}: catch-up failed: {1}", room, e.toString());
            }
        }

        /**
         * Heartbeat: re-announce our members, drop dead nodes' members, reconcile our view.
         * Our members are read on the commands thread, in line with the join, leave and rename
         * scripts queued there: read earlier, a leave or rename queued in between would be undone
         * by this sync (a ghost member, or the old name back).
         */
        @SuppressWarnings("unchecked")
        void sync() {
            List<Object> result = (List<Object>) await(onBus(() -> SYNC.callAsync(api(), ScriptOutputType.MULTI,
                    new String[] {membersKey, channel}, syncArgs(state.membersOf(nodeId)))));
            if (ready) {
                List<RoomState.Present> snapshot = present(result);
                long now = System.nanoTime();
                try {
                    events.execute(() -> state.reconcile(nodeId, snapshot, now, options.nodeTimeout().toNanos()));
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // closing
                }
            }
        }
    }

    private String[] syncArgs(List<Member> mine) {
        String[] args = new String[3 + 2 * mine.size()];
        args[0] = nodeId;
        args[1] = NODE_PREFIX;
        args[2] = String.valueOf(options.nodeTimeout().toMillis());
        int i = 3;
        for (Member m : mine) {
            args[i++] = m.id();
            args[i++] = label(m);
        }
        return args;
    }

    /**
     * How a member's name travels and is stored in Redis (presence hash and events): one mark,
     * {@code +} for a verified login or {@code -} for a chosen name, then the name. Kept in this
     * one place so the Lua scripts carry it as an opaque string.
     */
    static String label(Member member) {
        return (member.verified() ? "+" : "-") + member.name();
    }

    /** The inverse of {@link #label}; a label without a mark is taken as a chosen name. */
    static Member member(String id, String label) {
        if (label.startsWith("+")) {
            return new Member(id, label.substring(1), true);
        }
        return new Member(id, label.startsWith("-") ? label.substring(1) : label, false);
    }

    // ---------------------------------------------------------------- topics and leases

    @Override
    public Topic topic(String name, Consumer<String> receiver) {
        String channel = TOPIC_PREFIX + name;
        List<Consumer<String>> receivers = topics.computeIfAbsent(channel, c -> new CopyOnWriteArrayList<>());
        boolean first = receivers.isEmpty();
        receivers.add(receiver);
        if (first) {
            onBus(() -> {
                StatefulRedisPubSubConnection<String, String> p = pubsub;
                if (p != null) {
                    p.async().subscribe(channel); // else subscribed when the connection comes up
                }
                return CompletableFuture.completedFuture(null);
            });
        }
        return new Topic() {
            @Override
            public boolean publish(String message) {
                StatefulRedisConnection<String, String> c = commands;
                if (c == null || !c.isOpen()) {
                    return false;
                }
                onBus(() -> c.async().publish(channel, message).toCompletableFuture());
                return true;
            }

            @Override
            public void close() {
                receivers.remove(receiver);
                if (receivers.isEmpty()) {
                    unsubscribe(channel);
                }
            }
        };
    }

    @Override
    public Leadership lead(String name, Leadership.Listener listener) {
        RedisLeadership leadership = new RedisLeadership(LEASE_PREFIX + name, listener);
        leaderships.add(leadership);
        ticker.execute(leadership::renew); // compete now, not a heartbeat later
        return leadership;
    }

    private final class RedisLeadership implements Leadership {
        final String key;
        final Leadership.Listener listener;
        volatile boolean leader;
        volatile boolean stopped;
        long renewedAt;

        RedisLeadership(String key, Leadership.Listener listener) {
            this.key = key;
            this.listener = listener;
        }

        /** On the heartbeat thread. */
        void renew() {
            if (stopped) {
                return;
            }
            long now = System.nanoTime();
            try {
                Object held = LEASE.call(api(), ScriptOutputType.INTEGER, new String[] {key},
                        nodeId, String.valueOf(options.nodeTimeout().toMillis()));
                if (Long.valueOf(1).equals(held)) {
                    renewedAt = now;
                    if (!leader) {
                        leader = true;
                        LOG.log(System.Logger.Level.INFO, "node {0} leads {1}", nodeId, key);
                        call(listener::elected);
                    }
                } else if (leader) {
                    demote("another node holds the lease");
                }
            } catch (RuntimeException e) {
                // Cannot renew: step down before the lease can expire in Redis and let another
                // node lead, so two nodes never run the job at once.
                if (leader && now - renewedAt >= options.nodeTimeout().minus(options.heartbeat()).toNanos()) {
                    demote("lease not renewed: " + e.getMessage());
                }
            }
        }

        void demote(String why) {
            leader = false;
            LOG.log(System.Logger.Level.INFO, "node {0} no longer leads {1}: {2}", nodeId, key, why);
            call(listener::demoted);
        }

        @Override
        public boolean isLeader() {
            return leader;
        }

        @Override
        public void close() {
            if (!leaderships.remove(this)) {
                return;
            }
            try {
                ticker.submit(() -> {
                    stopped = true;
                    if (leader) {
                        demote("closing");
                        try {
                            RELEASE.call(api(), ScriptOutputType.INTEGER, new String[] {key}, nodeId);
                        } catch (RuntimeException e) {
                            LOG.log(System.Logger.Level.DEBUG, "lease {0} not released: {1}", key, e.toString());
                        }
                    }
                }).get(options.timeout().toMillis() * 2, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException | java.util.concurrent.RejectedExecutionException e) {
                LOG.log(System.Logger.Level.DEBUG, "lease {0}: close: {1}", key, e.toString());
            }
        }
    }

    // ---------------------------------------------------------------- heartbeat

    private void heartbeat() {
        try {
            if (!connected()) {
                connect();
            }
            api().set(NODE_PREFIX + nodeId, String.valueOf(System.currentTimeMillis()),
                    io.lettuce.core.SetArgs.Builder.px(options.nodeTimeout().toMillis()));
            if (connected()) {
                downSince = 0;
            }
            if (wasDown && connected()) {
                wasDown = false;
                LOG.log(System.Logger.Level.INFO, "Redis reachable again; node {0} resumes", nodeId);
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "heartbeat: Redis unreachable: {0}", e.toString());
        }
        boolean catchUp = reconnected.getAndSet(false);
        for (RedisLink link : links.values()) {
            try {
                link.sync();
                if (catchUp && link.ready) {
                    events.execute(link::catchUp);
                }
            } catch (RuntimeException e) {
                if (catchUp) {
                    reconnected.set(true); // try again next time
                }
                LOG.log(System.Logger.Level.DEBUG, "room {0}: sync failed: {1}", link.room, e.toString());
            }
        }
        for (RedisLeadership leadership : leaderships) {
            leadership.renew();
        }
    }

    private void connect() {
        synchronized (connecting) {
            if (closed.get() || connected()) {
                return;
            }
            if (commands == null) {
                commands = client.connect();
            }
            // Alive before any member is announced: others list only members of live nodes.
            commands.sync().set(NODE_PREFIX + nodeId, String.valueOf(System.currentTimeMillis()),
                    io.lettuce.core.SetArgs.Builder.px(options.nodeTimeout().toMillis()));
            if (pubsub == null) {
                StatefulRedisPubSubConnection<String, String> p = client.connectPubSub();
                p.addListener(new RedisPubSubAdapter<>() {
                    @Override
                    public void message(String channel, String message) {
                        dispatch(channel, message);
                    }
                });
                List<String> channels = new ArrayList<>(topics.keySet());
                for (RedisLink link : links.values()) {
                    channels.add(link.channel);
                }
                if (!channels.isEmpty()) {
                    p.sync().subscribe(channels.toArray(String[]::new));
                }
                pubsub = p;
                downSince = 0;
            }
        }
    }

    /** From Lettuce's I/O thread: hand over at once, in order, to the events thread. */
    private void dispatch(String channel, String message) {
        try {
            events.execute(() -> {
                try {
                    if (channel.startsWith(TOPIC_PREFIX)) {
                        for (Consumer<String> receiver : topics.getOrDefault(channel, List.of())) {
                            receiver.accept(message);
                        }
                    } else {
                        RedisLink link = links.get(channel.substring(ROOM_PREFIX.length()));
                        if (link != null && link.channel.equals(channel)) {
                            link.onEvent(message);
                        }
                    }
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "event on {0} failed: {1}", channel, e.toString());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    // ---------------------------------------------------------------- plumbing

    private RedisAsyncCommands<String, String> api() {
        StatefulRedisConnection<String, String> c = commands;
        if (c == null || !c.isOpen()) {
            throw new BusUnavailableException("Redis is not connected");
        }
        return c.async();
    }

    private StatefulRedisPubSubConnection<String, String> pubsub() {
        StatefulRedisPubSubConnection<String, String> p = pubsub;
        if (p == null || !p.isOpen()) {
            throw new BusUnavailableException("Redis is not connected");
        }
        return p;
    }

    private void unsubscribe(String channel) {
        onBus(() -> {
            StatefulRedisPubSubConnection<String, String> p = pubsub;
            if (p != null && p.isOpen()) {
                p.async().unsubscribe(channel);
            }
            return CompletableFuture.completedFuture(null);
        });
    }

    private void fireAndForget(RedisScript script, String[] keys, String... args) {
        onBus(() -> script.callAsync(api(), ScriptOutputType.INTEGER, keys, args)).exceptionally(e -> {
            // The heartbeat re-announces this node's members; nothing is lost for long.
            LOG.log(System.Logger.Level.DEBUG, "presence update deferred: {0}", e.toString());
            return null;
        });
    }

    /** Runs a Lettuce call on the bus's commands thread; its result completes on Lettuce's I/O thread. */
    private <T> CompletableFuture<T> onBus(java.util.function.Supplier<CompletableFuture<T>> call) {
        try {
            return CompletableFuture.supplyAsync(call, commandsThread).thenCompose(Function.identity());
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new BusUnavailableException("the bus is closed"));
        }
    }

    private <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(options.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BusUnavailableException("interrupted", e);
        } catch (ExecutionException e) {
            throw unavailable("Redis", e.getCause());
        } catch (TimeoutException e) {
            throw new BusUnavailableException("Redis did not answer within " + options.timeout(), e);
        }
    }

    static BusUnavailableException unavailable(String what, Throwable e) {
        Throwable cause = e instanceof CompletionException || e instanceof ExecutionException ? e.getCause() : e;
        if (cause instanceof BusUnavailableException b) {
            return b;
        }
        return new BusUnavailableException(what + ": " + (cause == null ? "unavailable" : cause.getMessage()), cause);
    }

    @SuppressWarnings("unchecked")
    private static List<Posted> entries(Object raw) {
        List<Posted> out = new ArrayList<>();
        for (Object entry : (List<Object>) raw) {
            List<Object> e = (List<Object>) entry;
            String id = (String) e.get(0);
            List<Object> fields = (List<Object>) e.get(1);
            String body = null;
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                if ("b".equals(fields.get(i))) {
                    body = (String) fields.get(i + 1);
                }
            }
            out.add(new Posted(Long.parseLong(id.substring(0, id.indexOf('-'))), body));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static List<RoomState.Present> present(Object raw) {
        List<Object> flat = (List<Object>) raw;
        List<RoomState.Present> out = new ArrayList<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            String value = (String) flat.get(i + 1);
            int nl = value.indexOf('\n');
            if (nl > 0) {
                out.add(new RoomState.Present(member((String) flat.get(i), value.substring(nl + 1)), value.substring(0, nl)));
            }
        }
        return out;
    }

    private static void call(Runnable callback) {
        try {
            callback.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "leadership listener failed: {0}", e.toString());
        }
    }

    /**
     * Stops this node's part in the cluster: leases released (another node takes over at once),
     * this node's members and liveness key removed, then Lettuce's connections and Netty threads
     * shut down and awaited (Tomcat otherwise reports them as leaked), and last every thread of
     * the bus's own joined.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (RedisLeadership leadership : List.copyOf(leaderships)) {
            leadership.close();
        }
        threads.stopHeartbeat();
        for (RedisLink link : List.copyOf(links.values())) {
            try {
                link.close();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "room {0}: not removed from Redis: {1}", link.room, e.toString());
            }
        }
        try {
            // Queued after the links' removals, answered after them on the same connection.
            onBus(() -> api().del(NODE_PREFIX + nodeId).toCompletableFuture())
                    .get(options.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.log(System.Logger.Level.DEBUG, "node key not removed: {0}", e.toString());
        }
        threads.drain();
        threads.onOwnThread(() -> {
            try {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "Redis client shutdown: {0}", e.toString());
            }
            try {
                resources.shutdown(0, 2, TimeUnit.SECONDS).get(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                LOG.log(System.Logger.Level.DEBUG, "Lettuce resources shutdown: {0}", e.toString());
            }
            return null;
        });
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
