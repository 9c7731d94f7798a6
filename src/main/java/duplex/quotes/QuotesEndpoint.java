package duplex.quotes;

import duplex.app.DuplexConfigurator;
import duplex.connection.Assembly;
import duplex.connection.Connection;
import duplex.connection.Connections;
import duplex.guard.RateLimiter;
import duplex.ops.EndpointMetrics;
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
 * Requests are read in parts and put together against {@link #MAX_MESSAGE_BYTES} ({@link Assembly}).
 */
@ServerEndpoint(value = "/quotes", configurator = DuplexConfigurator.class)
public final class QuotesEndpoint {

    public static final String NAME = "quotes";
    /** Far above any request we define (100 symbols of 32 characters); more closes with 1009. */
    public static final int MAX_MESSAGE_BYTES = 8192;

    private final Connections connections;
    private final QuoteHub hub;
    private final QuotesDecoder decoder = new QuotesDecoder();
    private final RateLimiter.Policy rateLimit;
    private final EndpointMetrics metrics;
    private Connection connection;
    private Assembly.Text requests;
    private QuoteHub.Subscriber subscriber;

    public QuotesEndpoint(Connections connections, QuoteHub hub, RateLimiter.Policy rateLimit, EndpointMetrics metrics) {
        this.connections = connections;
        this.hub = hub;
        this.rateLimit = rateLimit;
        this.metrics = metrics;
    }

    @OnOpen
    public void open(Session session) {
        connection = Connection.open(connections, NAME, session, metrics, rateLimit);
        requests = new Assembly.Text(connection, MAX_MESSAGE_BYTES, "a /quotes request is at most " + MAX_MESSAGE_BYTES + " bytes");
        subscriber = hub.join(connection.outbox());
    }

    @OnMessage
    public void message(String part, boolean last) {
        String whole = requests.add(part, last);
        // Every request counts, bad ones included: each costs a parse and, for a subscribe, a snapshot.
        if (whole == null || connection.admit() != Connection.Admitted.YES) {
            return;
        }
        QuotesRequest request = decoder.decode(whole);
        if (request instanceof QuotesRequest.Subscribe subscribe) {
            hub.subscribe(subscriber, subscribe.symbols());
        } else if (request instanceof QuotesRequest.Unsubscribe unsubscribe) {
            hub.unsubscribe(subscriber, unsubscribe.symbols());
        } else {
            connection.reply(((QuotesRequest.Malformed) request).error());
        }
    }

    @OnMessage
    public void binary(ByteBuffer part, boolean last) {
        connection.textOnly("/quotes accepts only JSON text");
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
        if (subscriber != null) {
            hub.leave(subscriber);
        }
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
