package duplex.live;

import duplex.app.DuplexConfigurator;
import duplex.bus.BusUnavailableException;
import duplex.bus.Member;
import duplex.connection.Assembly;
import duplex.connection.Connection;
import duplex.connection.Connections;
import duplex.delivery.Frame;
import duplex.guard.RateLimiter;
import duplex.ops.EndpointMetrics;
import duplex.protocol.ErrorCode;
import duplex.protocol.ErrorMessage;
import jakarta.websocket.CloseReason;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnError;
import jakarta.websocket.OnMessage;
import jakarta.websocket.OnOpen;
import jakarta.websocket.PongMessage;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpoint;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /live}: one connection, many channels. A client subscribes to channels (with where it
 * left off, to get what it missed), unsubscribes, and publishes where the namespace lets it; every
 * publication, from a client or from a backend through the HTTP API, reaches every subscriber on
 * every node in the channel's order. The protocol: docs/live.md. One instance per connection;
 * the shared parts live in {@link Channels}.
 */
@ServerEndpoint(value = "/live", configurator = DuplexConfigurator.class)
public final class LiveEndpoint {

    public static final String NAME = "live";

    /**
     * @param maxChannels        subscriptions one connection may hold
     * @param maxPublicationBytes largest {@code data} of a publication, in UTF-8 bytes of its JSON
     * @param publishRate        publications per second one connection may make
     */
    public record Limits(int maxChannels, int maxPublicationBytes, RateLimiter.Policy publishRate) {
        /** A request is the publication and its envelope (type, channel, id). */
        int maxRequestBytes() {
            return maxPublicationBytes + 1024;
        }
    }

    private final Connections connections;
    private final Channels channels;
    private final Limits limits;
    private final RateLimiter.Policy rateLimit;
    private final EndpointMetrics metrics;
    private Connection connection;
    private Assembly.Text requests;
    private RateLimiter publishes;
    private Member self;
    /** This connection's subscriptions, by channel name. Touched only in the connection's turns (one at a time). */
    private final Map<String, Channel> subscribed = new LinkedHashMap<>();
    private volatile boolean closed;

    public LiveEndpoint(Connections connections, Channels channels, Limits limits, RateLimiter.Policy rateLimit,
                        EndpointMetrics metrics) {
        this.connections = connections;
        this.channels = channels;
        this.limits = limits;
        this.rateLimit = rateLimit;
        this.metrics = metrics;
    }

    @OnOpen
    public void open(Session session) {
        connection = Connection.open(connections, NAME, session, metrics, rateLimit);
        requests = new Assembly.Text(connection, limits.maxRequestBytes(),
                "a /live request is at most " + limits.maxRequestBytes() + " bytes");
        publishes = new RateLimiter(limits.publishRate());
        Principal user = session.getUserPrincipal();
        self = user == null ? new Member(connection.id(), "", false) : new Member(connection.id(), user.getName(), true);
    }

    @OnMessage
    public void message(String part, boolean last) {
        String whole = requests.add(part, last);
        if (whole == null || connection.admit() != Connection.Admitted.YES) {
            return;
        }
        LiveRequest request = LiveRequestDecoder.decode(whole);
        if (request instanceof LiveRequest.Subscribe subscribe) {
            subscribe(subscribe);
        } else if (request instanceof LiveRequest.Unsubscribe unsubscribe) {
            unsubscribe(unsubscribe.channel());
        } else if (request instanceof LiveRequest.Publish publish) {
            publish(publish);
        } else {
            LiveRequest.Malformed malformed = (LiveRequest.Malformed) request;
            error(malformed.error(), malformed.id(), malformed.channel());
        }
    }

    /**
     * Subscribes and unsubscribes take their turns, in the order the client sent them, on the
     * channels' own threads ({@link Channels#turns}), never on the container's: a thousand clients
     * that reconnect at once to one channel queue there, not as container threads on its lock.
     * Touched only by this connection's own callbacks, which the container makes one at a time.
     */
    private CompletableFuture<?> turn = CompletableFuture.completedFuture(null);

    /** Queues {@code step} after this connection's earlier ones; a step that fails does not stop the next. */
    private void inTurn(java.util.function.Supplier<CompletableFuture<?>> step) {
        turn = turn.handle((ignored, failure) -> null)
                .thenComposeAsync(ignored -> closed ? CompletableFuture.completedFuture(null) : step.get(), channels.turns())
                .exceptionally(failure -> {
                    connection.error(failure);
                    return null;
                });
    }

    private void subscribe(LiveRequest.Subscribe request) {
        ChannelName name = request.channel();
        if (allowed(name, null).isEmpty()) {
            return;
        }
        inTurn(() -> {
            if (subscribed.containsKey(name.name())) {
                error(ErrorCode.INVALID, "already subscribed to " + name, null, name.name());
                return CompletableFuture.completedFuture(null);
            }
            if (subscribed.size() >= limits.maxChannels()) {
                error(ErrorCode.LIMIT, "a connection may subscribe to at most " + limits.maxChannels() + " channels", null, name.name());
                return CompletableFuture.completedFuture(null);
            }
            return subscribeOnce(request);
        });
    }

    /** In its turn: the channel opened (no thread waits for the bus meanwhile), then the answer and the registration in one step. */
    private CompletableFuture<?> subscribeOnce(LiveRequest.Subscribe request) {
        ChannelName name = request.channel();
        return open(name).thenComposeAsync(channel -> {
            if (channel == null || closed) {
                return CompletableFuture.completedFuture(null);
            }
            switch (channel.subscribe(new Channel.Subscriber(connection.outbox(), self), request.since())) {
                case YES -> subscribed.put(name.name(), channel);
                case RETIRED -> {
                    return subscribeOnce(request); // retired between the lookup and now: once more, with a new channel
                }
                case UNAVAILABLE -> error(ErrorCode.UNAVAILABLE, "channel " + name + " cannot be opened now; try again", null, name.name());
                case REFUSED_BY_OUTBOX -> { } // the connection is closing
            }
            return CompletableFuture.completedFuture(null);
        }, channels.turns());
    }

    /** The channel once open, or null after answering why not. */
    private CompletableFuture<Channel> open(ChannelName name) {
        Channels.Lookup lookup = channels.open(name);
        if (lookup instanceof Channels.Lookup.Refused refused) {
            refuse(refused.why(), null, name);
            return CompletableFuture.completedFuture(null);
        }
        return ((Channels.Lookup.Found) lookup).channel().whenOpen().exceptionally(failure -> {
            error(ErrorCode.UNAVAILABLE, "channel " + name + " cannot be opened now; try again", null, name.name());
            return null;
        });
    }

    private void unsubscribe(ChannelName name) {
        inTurn(() -> {
            Channel channel = subscribed.remove(name.name());
            if (channel == null) {
                error(ErrorCode.NOT_FOUND, "not subscribed to " + name, null, name.name());
            } else {
                channel.unsubscribe(connection.id());
                // After the removal: every publication queued to this connection before it comes first.
                connection.outbox().send(Frame.text(LiveMessages.unsubscribed(name.name())));
            }
            return CompletableFuture.completedFuture(null);
        });
    }

    private void publish(LiveRequest.Publish request) {
        ChannelName name = request.channel();
        Optional<Namespace> policy = allowed(name, request.id());
        if (policy.isEmpty()) {
            return;
        }
        if (!policy.get().clientPublish()) {
            error(ErrorCode.FORBIDDEN, "clients may not publish in namespace " + name.namespace() + "; a backend publishes there through the API",
                    request.id(), name.name());
            return;
        }
        int bytes = request.data().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > limits.maxPublicationBytes()) {
            error(ErrorCode.TOO_BIG, "a publication's data is at most " + limits.maxPublicationBytes() + " bytes of JSON, not " + bytes,
                    request.id(), name.name());
            return;
        }
        if (publishes.acquire() != RateLimiter.Verdict.ALLOWED) {
            error(ErrorCode.RATE_LIMITED, "at most " + limits.publishRate().perSecond() + " publications per second; this one was dropped",
                    request.id(), name.name());
            return;
        }
        channels.publish(name, self, request.data()).whenComplete((published, failure) -> {
            if (failure == null) {
                connection.outbox().send(Frame.text(LiveMessages.ack(request.id(), published.seq(), published.epoch())));
            } else if (Channel.unwrap(failure) instanceof Channels.RefusedException refused) {
                refuse(refused.why(), request.id(), name);
            } else {
                if (!(Channel.unwrap(failure) instanceof BusUnavailableException)) {
                    Channel.logFailure(name, failure);
                }
                error(ErrorCode.UNAVAILABLE, "the publication could not be taken now and nobody will see it; try again",
                        request.id(), name.name());
            }
        });
    }

    /** The namespace's policy if this connection may use the channel at all; else answered, and empty. */
    private Optional<Namespace> allowed(ChannelName name, String id) {
        Optional<Namespace> policy = channels.namespace(name);
        if (policy.isEmpty()) {
            refuse(Channels.Refusal.NO_SUCH_NAMESPACE, id, name);
        } else if (policy.get().authenticated() && !self.verified()) {
            error(ErrorCode.FORBIDDEN, "namespace " + name.namespace() + " is for signed-in users", id, name.name());
            return Optional.empty();
        }
        return policy;
    }

    private void refuse(Channels.Refusal why, String id, ChannelName name) {
        switch (why) {
            case NO_SUCH_NAMESPACE -> error(ErrorCode.NOT_FOUND, "there is no namespace " + name.namespace(), id, name.name());
            case TOO_MANY_CHANNELS -> error(ErrorCode.LIMIT, "the server has as many channels open as it may; try again later", id, name.name());
        }
    }

    private void error(ErrorCode code, String message, String id, String channel) {
        error(new ErrorMessage(code, message), id, channel);
    }

    private void error(ErrorMessage error, String id, String channel) {
        metrics.error(error.code());
        connection.outbox().send(Frame.text(LiveMessages.error(error, id, channel)));
    }

    @OnMessage
    public void binary(ByteBuffer part, boolean last) {
        connection.textOnly("/live accepts only JSON text");
    }

    @OnMessage
    public void pong(PongMessage pong) {
        connection.heard();
    }

    @OnClose
    public void close(Session session, CloseReason reason) {
        if (connection == null) {
            return; // refused at open, before it was registered
        }
        closed = true;
        // After the turns already queued (a subscribe that is answered while this runs is undone here).
        turn = turn.handle((ignored, failure) -> null).thenRunAsync(() -> {
            subscribed.values().forEach(channel -> channel.unsubscribe(connection.id()));
            subscribed.clear();
        }, channels.turns());
        requests.drop();
        connection.closed(reason);
    }

    @OnError
    public void error(Session session, Throwable error) {
        if (connection != null) {
            connection.error(error);
        }
    }
}
