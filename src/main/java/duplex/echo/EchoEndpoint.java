package duplex.echo;

import duplex.app.DuplexConfigurator;
import duplex.app.Settings;
import duplex.delivery.Connections;
import duplex.delivery.Frame;
import duplex.delivery.Outbox;
import duplex.guard.MemoryBudget;
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
 *
 * <p>Memory: a message being assembled is charged to the client's address in the
 * {@link MemoryBudget} (twice its size: the buffer grows by doubling, and the finished message is
 * a copy), and so is each reply until it is written; past the address's share the connection is
 * closed (1008), past the server's (1013). The buffers are dropped, not kept, after each message:
 * one large message must not leave a large buffer behind for the rest of the connection's life.
 */
@ServerEndpoint(value = "/echo", subprotocols = "echo", configurator = DuplexConfigurator.class)
public final class EchoEndpoint {

    public static final String NAME = "echo";
    private static final System.Logger LOG = System.getLogger(EchoEndpoint.class.getName());

    private final Settings settings;
    private final Connections connections;
    private Outbox outbox;

    private StringBuilder text = new StringBuilder();
    private int textBytes;
    private ByteArrayOutputStream binary = new ByteArrayOutputStream();
    /** Charged to the budget for the message being assembled; given back when it is done. */
    private long assemblyCharge;
    /** Set once a limit is passed: the rest of that connection's input is ignored while it closes. */
    private volatile boolean discarding;

    public EchoEndpoint(Settings settings, Connections connections) {
        this.settings = settings;
        this.connections = connections;
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
        outbox = connections.open(NAME, session);
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
            outbox.sendCharged(Frame.text(part, textBytes)); // the common case: one frame, no copy
        } else {
            if (!charge(2L * MemoryBudget.ofText(part.length()))) {
                return;
            }
            text.append(part);
            if (last) {
                String whole = text.toString();
                text = new StringBuilder();
                releaseAssembly();
                outbox.sendCharged(Frame.text(whole, textBytes));
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
        if (!(last && binary.size() == 0) && !charge(2L * MemoryBudget.ofBytes(part.remaining()))) {
            return;
        }
        byte[] bytes = new byte[part.remaining()];
        part.get(bytes);
        if (last) {
            outbox.received(binary.size() + bytes.length);
        }
        if (last && binary.size() == 0) {
            outbox.sendCharged(Frame.binary(bytes));
        } else {
            binary.writeBytes(bytes);
            if (last) {
                byte[] whole = binary.toByteArray();
                binary = new ByteArrayOutputStream();
                releaseAssembly();
                outbox.sendCharged(Frame.binary(whole));
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
        dropAssembly();
    }

    @OnError
    public void error(Session session, Throwable error) {
        // Peers that vanish (EOF, reset) are ordinary; @OnClose follows and logs the close.
        LOG.log(System.Logger.Level.DEBUG, "echo session {0}: {1}", session.getId(), error.toString());
    }

    private void tooBig(String reason) {
        dropAssembly();
        outbox.close(new CloseReason(CloseCodes.TOO_BIG, reason));
    }

    /** Charges part of a message being assembled; false (the connection closing) when the budget refuses. */
    private synchronized boolean charge(long bytes) {
        MemoryBudget budget = outbox.budget();
        if (discarding) {
            return false; // closed meanwhile (our close may run @OnClose on another thread)
        }
        if (budget == null) {
            return true;
        }
        MemoryBudget.Verdict verdict = budget.tryCharge(outbox.remoteAddress(), bytes);
        if (verdict == MemoryBudget.Verdict.CHARGED) {
            assemblyCharge += bytes;
            return true;
        }
        dropAssembly();
        outbox.overBudget(verdict);
        return false;
    }

    private synchronized void releaseAssembly() {
        if (assemblyCharge > 0) {
            outbox.budget().release(outbox.remoteAddress(), assemblyCharge);
            assemblyCharge = 0;
        }
    }

    /** From now on the rest of this connection's input is ignored; what was assembled is freed. */
    private synchronized void dropAssembly() {
        discarding = true;
        text = new StringBuilder();
        binary = new ByteArrayOutputStream();
        releaseAssembly();
    }
}
