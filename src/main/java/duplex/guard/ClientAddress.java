package duplex.guard;

import jakarta.websocket.server.HandshakeRequest;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The network address of a WebSocket client, found at the handshake. The WebSocket API has no
 * portable way to ask for it, so it is kept in the session's user properties, where
 * {@link duplex.delivery.RemoteAddress} reads it:
 * <ul>
 *   <li>on a servlet container (Tomcat, Payara) {@link HandshakeGuard} has it from the servlet
 *       request and passes it on in a request header that carries this deployment's secret
 *       token, so a client cannot forge it;</li>
 *   <li>on standalone Tyrus (the embedded test server) the handshake request itself has a
 *       public {@code getRemoteAddr()}.</li>
 * </ul>
 * Either way it is the TCP peer, or, when that peer is one of {@code duplex.trusted-proxies},
 * the client that proxy reports ({@link TrustedProxies}).
 */
public final class ClientAddress {

    /** Request header through which {@link HandshakeGuard} hands the address to the handshake. */
    public static final String HEADER = "X-Duplex-Client-Address";

    private ClientAddress() {
    }

    /**
     * The address {@link HandshakeGuard} stamped on this handshake, if it saw it; {@code token}
     * is the deployment's secret. Present means the guard has applied every rule to the request.
     */
    public static Optional<String> stamped(HandshakeRequest request, String token) {
        return headers(request.getHeaders(), HEADER).stream()
                .filter(value -> value.startsWith(token + " "))
                .map(value -> value.substring(token.length() + 1))
                .findFirst();
    }

    /** The TCP peer, where the container tells it: Tyrus's HandshakeRequest (RequestContext) has a public getRemoteAddr(). */
    public static Optional<String> peer(HandshakeRequest request) {
        try {
            Method method = request.getClass().getMethod("getRemoteAddr");
            Object address = method.invoke(request);
            return address instanceof String s && !s.isEmpty() ? Optional.of(s) : Optional.empty();
        } catch (ReflectiveOperationException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * The scheme the handshake arrived with, {@code http} or {@code https}: Tyrus's request has a
     * public {@code isSecure()}; else the request URI's scheme; else {@code http}.
     */
    public static String scheme(HandshakeRequest request) {
        try {
            Method method = request.getClass().getMethod("isSecure");
            if (method.invoke(request) instanceof Boolean secure) {
                return secure ? "https" : "http";
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            // not Tyrus: the URI may say
        }
        return TrustedProxies.httpScheme(request.getRequestURI() == null ? null : request.getRequestURI().getScheme()).orElse("http");
    }

    /** A header's first value; header names are case-insensitive whatever map the container uses. */
    public static Optional<String> header(Map<String, List<String>> headers, String name) {
        List<String> values = headers(headers, name);
        return values.isEmpty() ? Optional.empty() : Optional.ofNullable(values.get(0));
    }

    /** Every value of a header, in order, under any spelling of its name. */
    public static List<String> headers(Map<String, List<String>> headers, String name) {
        List<String> values = new ArrayList<>();
        if (headers == null) {
            return values;
        }
        for (Map.Entry<String, List<String>> entry : headers.entrySet()) {
            if (entry.getKey() != null && entry.getKey().equalsIgnoreCase(name) && entry.getValue() != null) {
                entry.getValue().stream().filter(v -> v != null).forEach(values::add);
            }
        }
        return values;
    }
}
