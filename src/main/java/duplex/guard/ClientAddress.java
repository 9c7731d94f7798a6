package duplex.guard;

import jakarta.websocket.server.HandshakeRequest;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The network address of a WebSocket client, found at the handshake. The WebSocket API has no
 * portable way to ask for it, so it is kept in the session's user properties, where
 * {@link duplex.delivery.RemoteAddress} reads it:
 * <ul>
 *   <li>on a servlet container (Tomcat, Payara) {@link HandshakeGuard} has it from
 *       {@code ServletRequest.getRemoteAddr()} and passes it on in a request header that carries
 *       this deployment's secret token, so a client cannot forge it;</li>
 *   <li>on standalone Tyrus (the embedded test server) the handshake request itself has a
 *       public {@code getRemoteAddr()}.</li>
 * </ul>
 * It is the address of the TCP peer: behind a reverse proxy that is the proxy, so set the
 * per-address limit with that in mind (or let the proxy limit per client).
 */
public final class ClientAddress {

    /** Request header through which {@link HandshakeGuard} hands the address to the handshake. */
    public static final String HEADER = "X-Duplex-Client-Address";

    private ClientAddress() {
    }

    /** Finds the address during {@code modifyHandshake}; {@code token} is the deployment's secret. */
    public static Optional<String> fromHandshake(HandshakeRequest request, String token) {
        Optional<String> stamped = header(request.getHeaders(), HEADER)
                .filter(value -> value.startsWith(token + " "))
                .map(value -> value.substring(token.length() + 1));
        if (stamped.isPresent()) {
            return stamped;
        }
        try {
            // Tyrus's HandshakeRequest (RequestContext) has a public getRemoteAddr().
            Method method = request.getClass().getMethod("getRemoteAddr");
            Object address = method.invoke(request);
            return address instanceof String s && !s.isEmpty() ? Optional.of(s) : Optional.empty();
        } catch (ReflectiveOperationException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** A header's first value; header names are case-insensitive whatever map the container uses. */
    public static Optional<String> header(Map<String, List<String>> headers, String name) {
        if (headers == null) {
            return Optional.empty();
        }
        for (Map.Entry<String, List<String>> entry : headers.entrySet()) {
            if (entry.getKey() != null && entry.getKey().equalsIgnoreCase(name)
                    && entry.getValue() != null && !entry.getValue().isEmpty()) {
                return Optional.ofNullable(entry.getValue().get(0));
            }
        }
        return Optional.empty();
    }
}
