package duplex.bus;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
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
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The bus's link to Redis: Lettuce's client and resources, the commands and pub/sub
 * connections and their (re)connection, this node's liveness key {@code duplex:node:ID}, the
 * submission of every command on the commands thread, the hand-over of pub/sub messages to
 * the events thread, and the status that /health reports.
 */
final class RedisConnection {

    // One logger for the whole bus, as before it was split, so that one setting covers it.
    private static final System.Logger LOG = System.getLogger(RedisBus.class.getName());
    static final String PREFIX = "duplex:";
    static final String NODE_PREFIX = PREFIX + "node:";

    private final RedisBus.Options options;
    private final String nodeId;
    private final BusThreads threads;
    /** The channels to subscribe when the pub/sub connection is (re)made. */
    private final Supplier<List<String>> channels;
    /** Handles a pub/sub message on the events thread. */
    private final BiConsumer<String, String> deliver;
    private final ClientResources resources;
    private final RedisClient client;
    private final AtomicBoolean reconnected = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Object connecting = new Object();
    private volatile StatefulRedisConnection<String, String> commands;
    private volatile StatefulRedisPubSubConnection<String, String> pubsub;
    private volatile boolean wasDown;
    /** nanoTime when Redis was first found unreachable, 0 while it is reachable. */
    private volatile long downSince = System.nanoTime();

    /** Builds Lettuce's client; {@link #connect} makes the connections. */
    RedisConnection(RedisBus.Options options, String nodeId, BusThreads threads,
                    Supplier<List<String>> channels, BiConsumer<String, String> deliver) {
        this.options = options;
        this.nodeId = nodeId;
        this.threads = threads;
        this.channels = channels;
        this.deliver = deliver;
        // Built on a thread of ours, like every other Lettuce call (see BusThreads.commands).
        Lettuce lettuce = threads.onOwnThread(() -> Lettuce.create(options, new ConnectionEvents()));
        this.resources = lettuce.resources();
        this.client = lettuce.client();
    }

    private record Lettuce(ClientResources resources, RedisClient client) {
        static Lettuce create(RedisBus.Options options, RedisConnectionStateListener connectionEvents) {
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

    String nodeId() {
        return nodeId;
    }

    RedisBus.Options options() {
        return options;
    }

    /** Connected, or reconnecting since when (for /health, which reports DOWN after a grace). */
    BusStatus status() {
        return new BusStatus() {
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
    boolean connected() {
        StatefulRedisConnection<String, String> c = commands;
        StatefulRedisPubSubConnection<String, String> p = pubsub;
        return c != null && p != null && c.isOpen() && p.isOpen();
    }

    /** Makes whichever connection is missing; on the heartbeat thread. */
    void connect() {
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
                List<String> subscribed = channels.get();
                if (!subscribed.isEmpty()) {
                    p.sync().subscribe(subscribed.toArray(String[]::new));
                }
                pubsub = p;
                downSince = 0;
            }
        }
    }

    /** The heartbeat's part: connects if need be and keeps this node's key alive. */
    void keepAlive() {
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
    }

    /** Whether Lettuce has (re)connected since the last call: then every room catches up. */
    boolean takeReconnected() {
        return reconnected.getAndSet(false);
    }

    /** Has the next {@link #takeReconnected} answer true, so that a failed catch-up is tried again. */
    void markReconnected() {
        reconnected.set(true);
    }

    /** From Lettuce's I/O thread: hand over at once, in order, to the events thread. */
    private void dispatch(String channel, String message) {
        try {
            threads.events().execute(() -> {
                try {
                    deliver.accept(channel, message);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "event on {0} failed: {1}", channel, e.toString());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    RedisAsyncCommands<String, String> api() {
        StatefulRedisConnection<String, String> c = commands;
        if (c == null || !c.isOpen()) {
            throw new BusUnavailableException("Redis is not connected");
        }
        return c.async();
    }

    /** Subscribes to a channel; fails while the pub/sub connection is down. */
    CompletableFuture<Void> subscribe(String channel) {
        return onBus(() -> {
            StatefulRedisPubSubConnection<String, String> p = pubsub;
            if (p == null || !p.isOpen()) {
                throw new BusUnavailableException("Redis is not connected");
            }
            return p.async().subscribe(channel).toCompletableFuture();
        });
    }

    /** Subscribes to a channel without waiting; before the first connection, {@link #connect} does. */
    void subscribeSoon(String channel) {
        onBus(() -> {
            StatefulRedisPubSubConnection<String, String> p = pubsub;
            if (p != null) {
                p.async().subscribe(channel); // else subscribed when the connection comes up
            }
            return CompletableFuture.completedFuture(null);
        });
    }

    void unsubscribe(String channel) {
        onBus(() -> {
            StatefulRedisPubSubConnection<String, String> p = pubsub;
            if (p != null && p.isOpen()) {
                p.async().unsubscribe(channel);
            }
            return CompletableFuture.completedFuture(null);
        });
    }

    /** Publishes without waiting; false when the commands connection is down. */
    boolean publish(String channel, String message) {
        StatefulRedisConnection<String, String> c = commands;
        if (c == null || !c.isOpen()) {
            return false;
        }
        onBus(() -> c.async().publish(channel, message).toCompletableFuture());
        return true;
    }

    /** Runs a Lettuce call on the bus's commands thread; its result completes on Lettuce's I/O thread. */
    <T> CompletableFuture<T> onBus(Supplier<CompletableFuture<T>> call) {
        try {
            return CompletableFuture.supplyAsync(call, threads.commands()).thenCompose(Function.identity());
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new BusUnavailableException("the bus is closed"));
        }
    }

    /** Waits for a Redis answer up to the command timeout. */
    <T> T await(CompletableFuture<T> future) {
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

    /** True the first time only: from then on no connection is made and a disconnect is no outage. */
    boolean beginClose() {
        return closed.compareAndSet(false, true);
    }

    /** Removes this node's key, waiting up to the command timeout. */
    void removeNodeKey() {
        try {
            onBus(() -> api().del(NODE_PREFIX + nodeId).toCompletableFuture())
                    .get(options.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.log(System.Logger.Level.DEBUG, "node key not removed: {0}", e.toString());
        }
    }

    /** Shuts Lettuce's connections and Netty threads down and awaits them, on a thread of ours. */
    void shutdown() {
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
    }
}
