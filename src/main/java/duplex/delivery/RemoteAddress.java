package duplex.delivery;

import jakarta.websocket.Session;

import java.lang.reflect.Method;

/**
 * The client's address of a WebSocket session, for the per-address limit and the logs. The
 * WebSocket API has no call for it: the handshake stores it in the session's user properties
 * under {@link #USER_PROPERTY} (see {@code DuplexConfigurator} and {@code guard.ClientAddress};
 * behind a trusted proxy, the client the proxy reports); failing that, Tyrus (embedded, Payara)
 * has a public {@code getRemoteAddr()} on its session. Never throws.
 */
public final class RemoteAddress {

    /** User property holding the address captured during the handshake. */
    public static final String USER_PROPERTY = "duplex.remoteAddress";
    public static final String UNKNOWN = "unknown";

    private RemoteAddress() {
    }

    public static String of(Session session) {
        // What the handshake recorded first: behind a trusted proxy it is the client, while
        // the session's own address is the proxy's.
        try {
            if (session.getUserProperties().get(USER_PROPERTY) instanceof String captured && !captured.isEmpty()) {
                return captured;
            }
        } catch (RuntimeException e) {
            // a closing session may refuse; try the container
        }
        try {
            Method getter = session.getClass().getMethod("getRemoteAddr");
            if (getter.getReturnType() == String.class && getter.invoke(session) instanceof String address
                    && !address.isEmpty()) {
                return address;
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            // not Tyrus: the logs say "unknown"
        }
        return UNKNOWN;
    }
}
