package duplex.ops;

import duplex.app.DuplexConfigurator;
import duplex.connection.Connection;
import duplex.connection.Connections;
import duplex.delivery.Frame;
import duplex.guard.OpsAccess;
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

/**
 * {@code /stats}: the dashboard's feed. On connect the last minutes of history, then one
 * {@code {"type":"snapshot"}} per interval, through the connection's outbox like every other
 * send. Read-only: a message from the client is answered with an error and otherwise ignored.
 */
@ServerEndpoint(value = "/stats", configurator = DuplexConfigurator.class)
public final class StatsEndpoint {

    private static final System.Logger LOG = System.getLogger(StatsEndpoint.class.getName());
    private static final ErrorMessage READ_ONLY = new ErrorMessage(ErrorCode.UNKNOWN_TYPE, "/stats only sends; it takes no messages");

    private final Connections connections;
    private final StatsPublisher publisher;
    private final EndpointMetrics metrics;
    private Connection connection;

    public StatsEndpoint(Connections connections, StatsPublisher publisher, EndpointMetrics metrics) {
        this.connections = connections;
        this.publisher = publisher;
        this.metrics = metrics;
    }

    @OnOpen
    public void open(Session session) {
        // Snapshots are small; the default whole-message buffer is plenty, and nothing bigger is read.
        session.setMaxTextMessageBufferSize(4096);
        connection = Connection.open(connections, StatsPublisher.ENDPOINT, session, metrics, null);
        // Again here, whatever the guard made of the path: the handshake recorded the decision.
        if (!Boolean.TRUE.equals(session.getUserProperties().get(OpsAccess.GRANTED))) {
            LOG.log(System.Logger.Level.INFO, "stats session {0} from {1} refused: no operations credentials",
                    session.getId(), connection.outbox().remoteAddress());
            connection.closeForInput(new CloseReason(CloseReason.CloseCodes.VIOLATED_POLICY, "credentials required"));
            return;
        }
        publisher.welcome(connection.outbox());
    }

    @OnMessage
    public void text(String text) {
        connection.outbox().received(Frame.utf8Length(text));
        connection.reply(READ_ONLY);
    }

    @OnMessage
    public void pong(PongMessage pong) {
        connection.heard();
    }

    @OnClose
    public void close(Session session, CloseReason reason) {
        if (connection != null) { // null: refused at open, before it was registered
            connection.closed(reason);
        }
    }

    @OnError
    public void error(Session session, Throwable error) {
        if (connection != null) {
            connection.error(error);
        }
    }
}
