package duplex.echo;

import duplex.app.DuplexConfigurator;
import duplex.app.Settings;
import duplex.connection.Assembly;
import duplex.connection.Connection;
import duplex.connection.Connections;
import duplex.delivery.Frame;
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
 * Sends every message back as it came: text as the same text, binary as the same bytes, in order.
 * Messages are read in parts and put together against {@code duplex.echo.max-text-bytes} and
 * {@code duplex.echo.max-binary-bytes} ({@link Assembly}); each reply is charged to the client's
 * address until it is written ({@code Outbox.sendCharged}). One instance per connection.
 */
@ServerEndpoint(value = "/echo", subprotocols = "echo", configurator = DuplexConfigurator.class)
public final class EchoEndpoint {

    public static final String NAME = "echo";

    private final Settings settings;
    private final Connections connections;
    private final EndpointMetrics metrics;
    private Connection connection;
    private Assembly.Text text;
    private Assembly.Binary binary;

    public EchoEndpoint(Settings settings, Connections connections, EndpointMetrics metrics) {
        this.settings = settings;
        this.connections = connections;
        this.metrics = metrics;
    }

    /**
     * The part size /echo reads in: Tomcat's stock whole-message buffer size. WEB-INF/web.xml makes
     * Tomcat's default far smaller, so that an idle connection holds little; Tomcat reallocates a
     * session's buffer to the session's size at its first message of that kind, so a connection
     * that talks gets parts of this size, as before, and one that never does keeps the small one.
     */
    static final int PART_SIZE = 8192;

    @OnOpen
    public void open(Session session) {
        connection = Connection.open(connections, NAME, session, metrics, null);
        text = new Assembly.Text(connection, settings.echoMaxTextBytes(),
                "text message exceeds " + settings.echoMaxTextBytes() + " bytes");
        binary = new Assembly.Binary(connection, settings.echoMaxBinaryBytes(),
                "binary message exceeds " + settings.echoMaxBinaryBytes() + " bytes");
        // Only ever raised: Tyrus (and Payara) start far above this, and a smaller size there would be a limit.
        if (session.getMaxTextMessageBufferSize() < PART_SIZE) {
            session.setMaxTextMessageBufferSize(PART_SIZE);
        }
        if (session.getMaxBinaryMessageBufferSize() < PART_SIZE) {
            session.setMaxBinaryMessageBufferSize(PART_SIZE);
        }
    }

    @OnMessage
    public void text(String part, boolean last) {
        String whole = text.add(part, last);
        if (whole != null) {
            // The size counted for the limit is the frame's too: no second pass over the text.
            connection.outbox().sendCharged(Frame.text(whole, text.lastSize()));
        }
    }

    @OnMessage
    public void binary(ByteBuffer part, boolean last) {
        byte[] whole = binary.add(part, last);
        if (whole != null) {
            connection.outbox().sendCharged(Frame.binary(whole));
        }
    }

    @OnMessage
    public void pong(PongMessage pong) {
        connection.heard();
    }

    @OnClose
    public void close(Session session, CloseReason reason) {
        if (connection != null) { // null: refused at open, before it was registered
            connection.closed(reason);
            text.drop();
            binary.drop();
        }
    }

    @OnError
    public void error(Session session, Throwable error) {
        if (connection != null) {
            connection.error(error);
        }
    }
}
