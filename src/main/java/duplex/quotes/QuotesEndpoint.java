package duplex.quotes;

import duplex.app.DuplexConfigurator;
import duplex.delivery.Connections;
import duplex.delivery.Frame;
import duplex.delivery.Outbox;
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

/**
 * {@code /quotes}: prices the server pushes unasked. On open the client gets the list of
 * symbols; it subscribes and unsubscribes by symbol ({@code *}: all), gets a snapshot of what it
 * added, then every change. One instance per connection; the shared parts live in {@link QuoteHub}.
 */
@ServerEndpoint(value = "/quotes", configurator = DuplexConfigurator.class)
public final class QuotesEndpoint {

    public static final String NAME = "quotes";
    /** Far above any request we define (100 symbols of 32 characters); more closes with 1009. */
    public static final int MAX_MESSAGE_BYTES = 8192;

    private static final System.Logger LOG = System.getLogger(QuotesEndpoint.class.getName());

    private final Connections connections;
    private final QuoteHub hub;
    private final QuotesDecoder decoder = new QuotesDecoder();
    private final RateLimiter limiter;
    private final EndpointMetrics metrics;
    private final StringBuilder text = new StringBuilder();
    private int textBytes;
    /** Set once the connection is being closed for its input: the rest of that input is ignored. */
    private boolean discarding;
    private Outbox outbox;
    private QuoteHub.Subscriber subscriber;

    public QuotesEndpoint(Connections connections, QuoteHub hub, RateLimiter.Policy rateLimit, EndpointMetrics metrics) {
        this.connections = connections;
        this.hub = hub;
        this.limiter = new RateLimiter(rateLimit);
        this.metrics = metrics;
    }

    @OnOpen
    public void open(Session session) {
        outbox = connections.open(NAME, session);
        subscriber = hub.join(outbox);
    }

    /**
     * Requests arrive in parts and are assembled here against our own limit, as in /echo: a
     * container that enforces its own limit closes at once, with the rest of the request still
     * unread, and the peer then often sees a reset (1006) instead of the 1009. Here the rest is
     * read and dropped while the close goes out.
     */
    @OnMessage
    public void message(String part, boolean last) {
        if (discarding) {
            return;
        }
        textBytes += Frame.utf8Length(part);
        if (textBytes > MAX_MESSAGE_BYTES) {
            discard(new CloseReason(CloseReason.CloseCodes.TOO_BIG, "a /quotes request is at most " + MAX_MESSAGE_BYTES + " bytes"));
            return;
        }
        if (!last) {
            text.append(part);
            return;
        }
        String whole = text.length() == 0 ? part : text.append(part).toString();
        outbox.received(textBytes);
        text.setLength(0);
        textBytes = 0;
        // Every request counts, bad ones included: each costs a parse and, for a subscribe, a snapshot.
        switch (RateLimiter.acquire(limiter, outbox.addressRate())) {
            case LIMITED -> {
                RateLimiter.Policy policy = limiter.policy();
                metrics.rateLimited();
                metrics.error(ErrorCode.RATE_LIMITED);
                outbox.send(Frame.text(new ErrorMessage(ErrorCode.RATE_LIMITED, "too many messages; at most "
                        + policy.perSecond() + " per second, " + policy.burst() + " at once").toJson()));
                return;
            }
            case FLOODING -> {
                LOG.log(System.Logger.Level.INFO, "quotes session {0}: kept sending after rate_limited; closing", outbox.id());
                discard(new CloseReason(CloseReason.CloseCodes.VIOLATED_POLICY, "rate limit exceeded"));
                return;
            }
            case ALLOWED -> {
                // handled below
            }
        }
        QuotesRequest request = decoder.decode(whole);
        if (request instanceof QuotesRequest.Subscribe subscribe) {
            hub.subscribe(subscriber, subscribe.symbols());
        } else if (request instanceof QuotesRequest.Unsubscribe unsubscribe) {
            hub.unsubscribe(subscriber, unsubscribe.symbols());
        } else {
            ErrorMessage error = ((QuotesRequest.Malformed) request).error();
            metrics.error(error.code());
            outbox.send(Frame.text(error.toJson()));
        }
    }

    /**
     * The protocol is JSON text only. Without this handler Tomcat would close with 1003 and Tyrus
     * would silently drop the message; this makes every server answer the same way.
     */
    @OnMessage
    public void binary(ByteBuffer part, boolean last) {
        if (!discarding) {
            discard(new CloseReason(CloseReason.CloseCodes.CANNOT_ACCEPT, "/quotes accepts only JSON text"));
        }
    }

    private void discard(CloseReason reason) {
        discarding = true;
        text.setLength(0);
        outbox.close(reason);
    }

    @OnMessage
    public void pong(PongMessage pong) {
        outbox.heard();
    }

    @OnClose
    public void close(Session session, CloseReason reason) {
        if (subscriber != null) {
            hub.leave(subscriber);
        }
        connections.closed(outbox, reason); // counts and logs the close
    }

    @OnError
    public void error(Session session, Throwable error) {
        // Peers that vanish (EOF, reset) are ordinary; @OnClose follows.
        LOG.log(System.Logger.Level.DEBUG, "quotes session {0}: {1}", session.getId(), error.toString());
    }
}
