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
import java.util.Locale;

/**
 * Checks every WebSocket handshake on a servlet container before the container's own WebSocket
 * filter upgrades it: a refused handshake gets its HTTP status (401, 403) and never reaches an
 * endpoint, and no refusal is left to {@code modifyHandshake}, where an exception becomes a 500
 * with a stack trace on Tomcat.
 *
 * <p>Why a servlet filter and not only {@code Configurator.checkOrigin}: the same-origin rule
 * compares the Origin with the request's scheme and Host, and {@code checkOrigin} sees the Origin
 * only (Tomcat and Tyrus both call it before {@code modifyHandshake}, the first point where the
 * other headers are visible, and neither lets {@code modifyHandshake} answer 403). A filter sees
 * the whole request and can answer with any status. {@code DuplexListener} registers it ahead
 * of the container's filters. Standalone Tyrus has no servlets; there the configurator applies
 * the same policy (see {@code DuplexConfigurator}).
 *
 * <p>What counts as a handshake is a superset of what the containers upgrade: any {@code Upgrade}
 * header line that contains {@code websocket} in any case (Tomcat upgrades when one of the
 * comma-separated tokens of any line is {@code websocket}), or a {@code Sec-WebSocket-Key}. A
 * handshake the guard let by unstamped would reach the endpoint without an address, and is
 * refused there.
 *
 * <p>It also applies container-managed identity to the handshake: a request that may address a
 * staff room ({@link StaffRooms}) must be authenticated (the container's login from
 * {@code web.xml}: no credentials get its challenge, 401) and in the role {@code staff} (else
 * 403); a request that carries login credentials anywhere is authenticated, so that chat sees the
 * user and marks the member verified (wrong credentials get 401). It guards the operations views
 * ({@link OpsAccess}). And it hands the client's address, as the trusted proxies report it, to
 * the handshake (see {@link ClientAddress}).
 */
public final class HandshakeGuard implements Filter {

    private static final System.Logger LOG = System.getLogger(HandshakeGuard.class.getName());

    private final OriginPolicy origins;
    private final String token;
    private final TrustedProxies proxies;
    private final OpsAccess ops;

    public HandshakeGuard(OriginPolicy origins, String token, TrustedProxies proxies, OpsAccess ops) {
        this.origins = origins;
        this.token = token;
        this.proxies = proxies;
        this.ops = ops;
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (!(request instanceof HttpServletRequest http) || !(response instanceof HttpServletResponse httpResponse)) {
            chain.doFilter(request, response);
            return;
        }
        if (!ops.isOpen() && OpsAccess.mayAddress(http) && !ops.admit(http, httpResponse)) {
            return;
        }
        if (!isWebSocketUpgrade(http)) {
            chain.doFilter(request, response);
            return;
        }
        TrustedProxies.Client client = proxies.resolve(http.getRemoteAddr(), list(http.getHeaders("X-Forwarded-For")),
                list(http.getHeaders("X-Forwarded-Proto")), http.getScheme());
        String origin = http.getHeader("Origin");
        String host = http.getHeader("Host");
        if (!origins.allows(origin, client.scheme(), host)) {
            LOG.log(System.Logger.Level.INFO, "WebSocket handshake to {0} from {1} refused: origin {2} not allowed ({3}://{4})",
                    http.getRequestURI(), client.address(), origin, client.scheme(), host);
            httpResponse.sendError(HttpServletResponse.SC_FORBIDDEN, "Origin not allowed");
            return;
        }
        boolean staffRoom = StaffRooms.mayAddressStaffRoom(http);
        String authorization = http.getHeader("Authorization");
        boolean login = authorization != null && !OpsAccess.isBearer(authorization);
        if ((staffRoom || login) && http.getUserPrincipal() == null && !http.authenticate(httpResponse)) {
            // The container has answered (401 with its challenge, for BASIC).
            LOG.log(System.Logger.Level.INFO, "WebSocket handshake to {0} from {1} refused: not authenticated",
                    http.getRequestURI(), client.address());
            return;
        }
        if (staffRoom && !http.isUserInRole(StaffRooms.ROLE)) {
            LOG.log(System.Logger.Level.INFO, "WebSocket handshake to {0} refused: {1} is not in role {2}",
                    http.getRequestURI(), http.getUserPrincipal().getName(), StaffRooms.ROLE);
            httpResponse.sendError(HttpServletResponse.SC_FORBIDDEN, "Staff only");
            return;
        }
        chain.doFilter(new StampedRequest(http, token + " " + client.address()), response);
    }

    /**
     * Whether the container may take this request as a WebSocket handshake: a superset of
     * Tomcat's reading (a comma-separated token of any {@code Upgrade} line equal to
     * {@code websocket}, ignoring case and blanks) and of Tyrus's.
     */
    static boolean isWebSocketUpgrade(HttpServletRequest request) {
        for (String upgrade : list(request.getHeaders("Upgrade"))) {
            if (upgrade != null && upgrade.toLowerCase(Locale.ROOT).contains("websocket")) {
                return true;
            }
        }
        return request.getHeader("Sec-WebSocket-Key") != null;
    }

    private static List<String> list(Enumeration<String> values) {
        return values == null ? List.of() : Collections.list(values);
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
