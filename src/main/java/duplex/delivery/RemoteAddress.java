package duplex.delivery;

import jakarta.websocket.Session;

import java.lang.reflect.Method;

/**
 * The peer's address of a WebSocket session, for the logs. The WebSocket API has no call for
 * it, so it comes from what the container offers: Tyrus (embedded, Payara) has a public
 * {@code getRemoteAddr()} on its session; on Tomcat the handshake stores it in the session's
 * user properties under {@link #USER_PROPERTY} (see {@code DuplexConfigurator} and
 * {@code guard.ClientAddress}). Never throws.
 */
public final class RemoteAddress {

    /** User property holding the address captured during the handshake. */
    public static final String USER_PROPERTY = "duplex.remoteAddress";
    public static final String UNKNOWN = "unknown";

    private RemoteAddress() {
    }

    public static String of(Session session) {
        try {
            Method getter = session.getClass().getMethod("getRemoteAddr");
            if (getter.getReturnType() == String.class && getter.invoke(session) instanceof String address
                    && !address.isEmpty()) {
                return address;
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            // not Tyrus: try what the handshake captured
        }
        try {
            if (session.getUserProperties().get(USER_PROPERTY) instanceof String captured && !captured.isEmpty()) {
                return captured;
            }
        } catch (RuntimeException e) {
            // a closing session may refuse; the logs say "unknown"
        }
        return UNKNOWN;
    }
}
