package duplex.guard;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * Checks every WebSocket handshake on a servlet container before the container's own WebSocket
 * filter upgrades it: a refused handshake gets HTTP 403 and never reaches an endpoint.
 *
 * <p>Why a servlet filter and not only {@code Configurator.checkOrigin}: the same-origin rule
 * compares the Origin with the request's Host header, and {@code checkOrigin} sees the Origin
 * only (Tomcat and Tyrus both call it before {@code modifyHandshake}, the first point where the
 * other headers are visible, and neither lets {@code modifyHandshake} answer 403). A filter sees
 * the whole request and can answer with any status. {@code DuplexListener} registers it ahead
 * of the container's filters. Standalone Tyrus has no servlets; there the configurator applies
 * the same policy (see {@code DuplexConfigurator}).
 *
 * <p>It also applies container-managed identity to the handshake: a request for a staff room
 * ({@link StaffRooms}) must be authenticated (the container's login from {@code web.xml}:
 * no credentials get its challenge, 401) and in the role {@code staff} (else 403); a request that
 * carries credentials anywhere is authenticated, so that chat sees the user and marks the member
 * verified (wrong credentials get 401). And it hands the client's address to the handshake
 * (see {@link ClientAddress}).
 */
public final class HandshakeGuard implements Filter {

    private static final System.Logger LOG = System.getLogger(HandshakeGuard.class.getName());

    private final OriginPolicy origins;
    private final String token;

    public HandshakeGuard(OriginPolicy origins, String token) {
        this.origins = origins;
        this.token = token;
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (!(request instanceof HttpServletRequest http) || !(response instanceof HttpServletResponse httpResponse)
                || !isWebSocketUpgrade(http)) {
            chain.doFilter(request, response);
            return;
        }
        String origin = http.getHeader("Origin");
        if (!origins.allows(origin, http.getHeader("Host"))) {
            LOG.log(System.Logger.Level.INFO, "WebSocket handshake to {0} refused: origin {1} not allowed (host {2})",
                    http.getRequestURI(), origin, http.getHeader("Host"));
            httpResponse.sendError(HttpServletResponse.SC_FORBIDDEN, "Origin not allowed");
            return;
        }
        String path = http.getServletPath() + (http.getPathInfo() == null ? "" : http.getPathInfo());
        boolean staffRoom = StaffRooms.isStaffRoomPath(path);
        if ((staffRoom || http.getHeader("Authorization") != null) && http.getUserPrincipal() == null
                && !http.authenticate(httpResponse)) {
            // The container has answered (401 with its challenge, for BASIC).
            LOG.log(System.Logger.Level.INFO, "WebSocket handshake to {0} refused: not authenticated", http.getRequestURI());
            return;
        }
        if (staffRoom && !http.isUserInRole(StaffRooms.ROLE)) {
            LOG.log(System.Logger.Level.INFO, "WebSocket handshake to {0} refused: {1} is not in role {2}",
                    http.getRequestURI(), http.getUserPrincipal().getName(), StaffRooms.ROLE);
            httpResponse.sendError(HttpServletResponse.SC_FORBIDDEN, "Staff only");
            return;
        }
        chain.doFilter(new StampedRequest(http, token + " " + http.getRemoteAddr()), response);
    }

    static boolean isWebSocketUpgrade(HttpServletRequest request) {
        String upgrade = request.getHeader("Upgrade");
        return upgrade != null && upgrade.trim().equalsIgnoreCase("websocket");
    }

    /** The request with {@link ClientAddress#HEADER} replaced by ours, whatever the client sent. */
    private static final class StampedRequest extends HttpServletRequestWrapper {
        private final String stamp;

        StampedRequest(HttpServletRequest request, String stamp) {
            super(request);
            this.stamp = stamp;
        }

        @Override
        public String getHeader(String name) {
            return ClientAddress.HEADER.equalsIgnoreCase(name) ? stamp : super.getHeader(name);
        }

        @Override
        public Enumeration<String> getHeaders(String name) {
            return ClientAddress.HEADER.equalsIgnoreCase(name) ? Collections.enumeration(List.of(stamp)) : super.getHeaders(name);
        }

        @Override
        public Enumeration<String> getHeaderNames() {
            List<String> names = new ArrayList<>();
            for (Enumeration<String> e = super.getHeaderNames(); e.hasMoreElements(); ) {
                String name = e.nextElement();
                if (!ClientAddress.HEADER.equalsIgnoreCase(name)) {
                    names.add(name);
                }
            }
            names.add(ClientAddress.HEADER);
            return Collections.enumeration(names);
        }
    }
}
