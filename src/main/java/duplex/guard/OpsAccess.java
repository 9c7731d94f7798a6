package duplex.guard;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.websocket.server.HandshakeRequest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Who may read the operations views: {@code /metrics}, the dashboard's feed {@code /stats} and
 * {@code dashboard.html}. {@code /health} is never protected (load balancers poll it).
 *
 * <p>Open unless a knob is set: {@code duplex.ops.token} (a scraper sends
 * {@code Authorization: Bearer <token>}) and/or {@code duplex.ops.role} (a user of the
 * container's login, {@code web.xml}, in that role: what a person at the dashboard uses, since a
 * browser cannot add a header to a WebSocket handshake but does resend its login). The token is
 * kept as a digest and compared in constant time; it is never logged. Immutable.
 */
public final class OpsAccess {

    private static final System.Logger LOG = System.getLogger(OpsAccess.class.getName());
    /** User property: Boolean.TRUE when the handshake was allowed to read the ops views. Set by the configurator only. */
    public static final String GRANTED = "duplex.ops";
    private static final Set<String> PROTECTED = Set.of("metrics", "stats", "dashboard.html");
    private static final String BEARER = "bearer ";

    private final byte[] tokenDigest;
    private final String role;

    /** @param token the bearer token, or blank for none; @param role the role, or blank for none */
    public OpsAccess(String token, String role) {
        this.tokenDigest = token == null || token.isBlank() ? null : sha256(token.trim());
        this.role = role == null || role.isBlank() ? null : role.trim();
    }

    public static OpsAccess open() {
        return new OpsAccess(null, null);
    }

    public boolean isOpen() {
        return tokenDigest == null && role == null;
    }

    /**
     * Whether a request may be for an ops view: the first segment of any reading of its path
     * within the context ({@link RequestPath}) is one of them, in any case.
     */
    public static boolean mayAddress(HttpServletRequest request) {
        return RequestPath.readings(request).stream()
                .anyMatch(segments -> !segments.isEmpty()
                        && PROTECTED.contains(RequestPath.withoutParameters(segments.get(0)).toLowerCase(Locale.ROOT)));
    }

    /** Whether an Authorization header value carries this deployment's token. */
    public boolean tokenMatches(String authorization) {
        if (tokenDigest == null || authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return false;
        }
        // Digests have one length, so isEqual's time says nothing about the token.
        return MessageDigest.isEqual(tokenDigest, sha256(authorization.substring(BEARER.length()).trim()));
    }

    static boolean isBearer(String authorization) {
        return authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length());
    }

    /**
     * Applies the rule to a servlet request; answers a refusal itself (401 with a challenge,
     * or 403 for a user without the role) and returns false, or returns true.
     */
    public boolean admit(HttpServletRequest request, HttpServletResponse response) throws IOException, ServletException {
        if (isOpen()) {
            return true;
        }
        String authorization = request.getHeader("Authorization");
        if (isBearer(authorization)) {
            if (tokenMatches(authorization)) {
                return true;
            }
            LOG.log(System.Logger.Level.INFO, "{0} refused from {1}: wrong bearer token", request.getRequestURI(), request.getRemoteAddr());
            challenge(response);
            return false;
        }
        if (role == null) {
            LOG.log(System.Logger.Level.INFO, "{0} refused from {1}: no bearer token", request.getRequestURI(), request.getRemoteAddr());
            challenge(response);
            return false;
        }
        if (request.getUserPrincipal() == null && !request.authenticate(response)) {
            // The container has answered (401 with its challenge, for BASIC).
            LOG.log(System.Logger.Level.INFO, "{0} refused from {1}: not authenticated", request.getRequestURI(), request.getRemoteAddr());
            return false;
        }
        if (!request.isUserInRole(role)) {
            LOG.log(System.Logger.Level.INFO, "{0} refused: {1} is not in role {2}", request.getRequestURI(),
                    request.getUserPrincipal().getName(), role);
            response.sendError(HttpServletResponse.SC_FORBIDDEN, "Operations role required");
            return false;
        }
        return true;
    }

    private void challenge(HttpServletResponse response) throws IOException {
        response.setHeader("WWW-Authenticate", "Bearer realm=\"Duplex operations\"");
        response.sendError(HttpServletResponse.SC_UNAUTHORIZED, "Credentials required");
    }

    /** The same rule at a WebSocket handshake, for the endpoint's own check. */
    public boolean grants(HandshakeRequest request) {
        if (isOpen()) {
            return true;
        }
        Map<String, List<String>> headers = request.getHeaders();
        if (ClientAddress.headers(headers, "Authorization").stream().anyMatch(this::tokenMatches)) {
            return true;
        }
        return role != null && request.getUserPrincipal() != null && request.isUserInRole(role);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return isOpen() ? "open" : (tokenDigest == null ? "" : "token") + (tokenDigest != null && role != null ? " or " : "")
                + (role == null ? "" : "role " + role);
    }
}
