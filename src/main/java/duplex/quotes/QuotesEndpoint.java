package duplex.quotes;

import duplex.app.DuplexConfigurator;
import duplex.delivery.Connections;
import duplex.delivery.Frame;
import duplex.delivery.Outbox;
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
    private Outbox outbox;
    private QuoteHub.Subscriber subscriber;

    public QuotesEndpoint(Connections connections, QuoteHub hub) {
        this.connections = connections;
        this.hub = hub;
    }

    @OnOpen
    public void open(Session session) {
        outbox = connections.open(NAME, session);
        subscriber = hub.join(outbox);
    }

    @OnMessage(maxMessageSize = MAX_MESSAGE_BYTES)
    public void message(String text) {
        outbox.received(Frame.utf8Length(text));
        // Decoded here rather than by the container, so that the message's size is counted above.
        QuotesRequest request = decoder.decode(text);
        if (request instanceof QuotesRequest.Subscribe subscribe) {
            hub.subscribe(subscriber, subscribe.symbols());
        } else if (request instanceof QuotesRequest.Unsubscribe unsubscribe) {
            hub.unsubscribe(subscriber, unsubscribe.symbols());
        } else {
            outbox.send(Frame.text(((QuotesRequest.Malformed) request).error().toJson()));
        }
    }

    /**
     * The protocol is JSON text only. Without this handler Tomcat would close with 1003 and Tyrus
     * would silently drop the message; this makes every server answer the same way.
     */
    @OnMessage(maxMessageSize = MAX_MESSAGE_BYTES)
    public void binary(ByteBuffer data) {
        outbox.received(data.remaining());
        outbox.close(new CloseReason(CloseReason.CloseCodes.CANNOT_ACCEPT, "/quotes accepts only JSON text"));
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
