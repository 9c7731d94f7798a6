package duplex.guard;

import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.server.HandshakeRequest;

import java.lang.reflect.Constructor;
import java.util.List;

/**
 * Refuses a WebSocket handshake from {@code Configurator.modifyHandshake} with an HTTP status.
 *
 * <p>Why this exists: the standard API can refuse only in {@code checkOrigin}, which sees the
 * Origin header and nothing else (not the Host header the same-origin rule needs, not the user).
 * On servlet containers {@link HandshakeGuard} refuses before the upgrade starts, so this is
 * only used where the handshake request tells its peer, that is on Tyrus (standalone, or Payara
 * should its filter ever be skipped): Tyrus answers a
 * {@code org.glassfish.tyrus.core.HandshakeException} thrown from {@code modifyHandshake} with
 * its status code, just as it answers a failed {@code checkOrigin} with 403. Never on Tomcat,
 * which answers any exception from {@code modifyHandshake} with 500 and a stack trace; there a
 * handshake the guard did not check is refused in {@code @OnOpen} instead.
 */
public final class HandshakeRefusal {

    private static final String TYRUS_HANDSHAKE_EXCEPTION = "org.glassfish.tyrus.core.HandshakeException";

    private HandshakeRefusal() {
    }

    /**
     * Never returns normally. The response's upgrade headers (already set by the container) are
     * replaced by an empty body, so that a client reading the refusal as an HTTP response knows
     * where it ends instead of waiting for the connection to close.
     */
    public static RuntimeException refuse(HandshakeRequest request, HandshakeResponse response, int status, String reason) {
        try {
            response.getHeaders().clear();
            response.getHeaders().put("Content-Length", List.of("0"));
            response.getHeaders().put("Connection", List.of("close"));
        } catch (UnsupportedOperationException e) {
            // an immutable header map: the status alone still refuses
        }
        Throwable refusal = tyrusRefusal(request, status, reason);
        if (refusal != null) {
            throw HandshakeRefusal.<RuntimeException>sneaky(refusal);
        }
        throw new SecurityException("WebSocket handshake refused (" + status + "): " + reason);
    }

    private static Throwable tyrusRefusal(HandshakeRequest request, int status, String reason) {
        try {
            ClassLoader loader = request.getClass().getClassLoader();
            Class<?> type = Class.forName(TYRUS_HANDSHAKE_EXCEPTION, false, loader);
            Constructor<?> constructor = type.getConstructor(int.class, String.class);
            return (Throwable) constructor.newInstance(status, reason);
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return null;
        }
    }

    /** Rethrows a checked exception unchecked: Tyrus's is checked, modifyHandshake declares none. */
    @SuppressWarnings("unchecked")
    private static <E extends Throwable> E sneaky(Throwable t) throws E {
        throw (E) t;
    }
}
