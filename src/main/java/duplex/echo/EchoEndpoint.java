package duplex.echo;

import duplex.app.DuplexConfigurator;
import duplex.app.Settings;
import duplex.delivery.Connections;
import duplex.delivery.Frame;
import duplex.delivery.Outbox;
import jakarta.websocket.CloseReason;
import jakarta.websocket.CloseReason.CloseCodes;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnError;
import jakarta.websocket.OnMessage;
import jakarta.websocket.OnOpen;
import jakarta.websocket.PongMessage;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpoint;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * Sends every message back as it came: text as the same text, binary as the same bytes, in order.
 *
 * <p>Messages arrive in parts and are assembled here, against our own limits, rather than in the
 * container's whole-message buffer: Tomcat's defaults to 8 KiB, Tyrus's to 4 MiB, so only our
 * own count makes the limit the same on every server. One instance per connection.
 */
@ServerEndpoint(value = "/echo", subprotocols = "echo", configurator = DuplexConfigurator.class)
public final class EchoEndpoint {

    public static final String NAME = "echo";
    private static final System.Logger LOG = System.getLogger(EchoEndpoint.class.getName());

    private final Settings settings;
    private final Connections connections;
    private Outbox outbox;

    private final StringBuilder text = new StringBuilder();
    private int textBytes;
    private final ByteArrayOutputStream binary = new ByteArrayOutputStream();
    /** Set once a limit is passed: the rest of that connection's input is ignored while it closes. */
    private boolean discarding;

    public EchoEndpoint(Settings settings, Connections connections) {
        this.settings = settings;
        this.connections = connections;
    }

    @OnOpen
    public void open(Session session) {
        outbox = connections.open(NAME, session);
    }

    @OnMessage
    public void text(String part, boolean last) {
        if (discarding) {
            return;
        }
        outbox.heard();
        textBytes += Frame.utf8Length(part);
        if (textBytes > settings.echoMaxTextBytes()) {
            tooBig("text message exceeds " + settings.echoMaxTextBytes() + " bytes");
            return;
        }
        // The length counted for the limit is the frame's size too: no second pass over the text.
        if (last && text.length() == 0) {
            outbox.send(Frame.text(part, textBytes)); // the common case: one frame, no copy
        } else {
            text.append(part);
            if (last) {
                outbox.send(Frame.text(text.toString(), textBytes));
                text.setLength(0);
            }
        }
        if (last) {
            outbox.received(textBytes);
            textBytes = 0;
        }
    }

    @OnMessage
    public void binary(ByteBuffer part, boolean last) {
        if (discarding) {
            return;
        }
        outbox.heard();
        if ((long) binary.size() + part.remaining() > settings.echoMaxBinaryBytes()) {
            tooBig("binary message exceeds " + settings.echoMaxBinaryBytes() + " bytes");
            return;
        }
        byte[] bytes = new byte[part.remaining()];
        part.get(bytes);
        if (last) {
            outbox.received(binary.size() + bytes.length);
        }
        if (last && binary.size() == 0) {
            outbox.send(Frame.binary(bytes));
        } else {
            binary.writeBytes(bytes);
            if (last) {
                outbox.send(Frame.binary(binary.toByteArray()));
                binary.reset();
            }
        }
    }

    @OnMessage
    public void pong(PongMessage pong) {
        outbox.heard();
    }

    @OnClose
    public void close(Session session, CloseReason reason) {
        connections.closed(outbox, reason); // counts and logs the close
    }

    @OnError
    public void error(Session session, Throwable error) {
        // Peers that vanish (EOF, reset) are ordinary; @OnClose follows and logs the close.
        LOG.log(System.Logger.Level.DEBUG, "echo session {0}: {1}", session.getId(), error.toString());
    }

    private void tooBig(String reason) {
        discarding = true;
        text.setLength(0);
        binary.reset();
        outbox.close(new CloseReason(CloseCodes.TOO_BIG, reason));
    }
}
