package duplex.app;

import duplex.delivery.RemoteAddress;
import duplex.guard.ClientAddress;
import duplex.guard.HandshakeRefusal;
import duplex.guard.OpsAccess;
import duplex.guard.StaffRooms;
import duplex.guard.TrustedProxies;
import duplex.ops.StatsEndpoint;
import jakarta.websocket.Extension;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Hands each new endpoint instance its shared services, and applies the origin policy to every
 * endpoint's handshake.
 *
 * <p>On servlet containers {@code HandshakeGuard} (a filter) has already applied the origin
 * policy, the staff-room rule and the ops credentials. Standalone Tyrus has no filters: there
 * {@link #checkOrigin} refuses (403) what no Host could make acceptable, and
 * {@link #modifyHandshake}, the first call that sees the Host header, refuses the rest.
 *
 * <p>Why a static reference: the container instantiates a configurator from the annotation and
 * gives it no path to the ServletContext, so the running {@link Duplex} must be reachable from
 * here. It is the application's only static state; the WAR's own class loader makes it one per
 * deployment, and {@link DuplexListener} sets and clears it.
 */
public class DuplexConfigurator extends ServerEndpointConfig.Configurator {

    private static final System.Logger LOG = System.getLogger(DuplexConfigurator.class.getName());

    private static final AtomicReference<Duplex> RUNNING = new AtomicReference<>();

    public static void install(Duplex duplex) {
        if (!RUNNING.compareAndSet(null, duplex)) {
            throw new IllegalStateException("A Duplex instance is already running in this class loader");
        }
    }

    public static void uninstall(Duplex duplex) {
        RUNNING.compareAndSet(duplex, null);
    }

    @Override
    public boolean checkOrigin(String originHeaderValue) {
        Duplex duplex = RUNNING.get();
        if (duplex == null) {
            return true; // not running: getEndpointInstance refuses the connection anyway
        }
        // Same-origin requests depend on the scheme and Host header, which only modifyHandshake sees.
        return duplex.originPolicy().decideWithoutHost(originHeaderValue).orElse(true);
    }

    /**
     * Records, for the endpoint's own checks, the client's address and what the user may enter
     * (staff rooms, the ops views); on standalone Tyrus, which has no {@code HandshakeGuard},
     * also applies the whole origin policy now that the Host header is visible. Tomcat 10.1+ and
     * Tyrus 2.1+ (WebSocket 2.1) hand this method a per-handshake copy of the configuration
     * whose user properties become the session's: nothing written here is shared between
     * connections.
     *
     * <p>Nothing is refused by an exception on a servlet container: Tomcat answers one with 500
     * and a stack trace. A handshake the guard stamped has passed every rule; one it did not see
     * gets no address here and is refused in {@code @OnOpen} (1008, {@code Connections}).
     */
    @Override
    public void modifyHandshake(ServerEndpointConfig config, HandshakeRequest request, HandshakeResponse response) {
        super.modifyHandshake(config, request, response);
        Duplex duplex = RUNNING.get();
        if (duplex == null) {
            return;
        }
        Settings settings = duplex.settings();
        Map<String, Object> properties = config.getUserProperties();
        boolean staff = request.getUserPrincipal() != null && request.isUserInRole(StaffRooms.ROLE);
        properties.put(StaffRooms.GRANTED, staff);
        boolean ops = new OpsAccess(settings.opsToken().value(), settings.opsRole()).grants(request);
        properties.put(OpsAccess.GRANTED, ops);
        Optional<String> stamped = ClientAddress.stamped(request, duplex.handshakeToken());
        if (stamped.isPresent()) {
            properties.put(RemoteAddress.USER_PROPERTY, stamped.get());
            return;
        }
        Optional<String> peer = ClientAddress.peer(request);
        if (peer.isEmpty()) {
            return; // a servlet container whose guard did not see this handshake: @OnOpen refuses it
        }
        // Standalone Tyrus: no filter ran, so the rules apply here; Tyrus answers the refusal's status.
        Map<String, List<String>> headers = request.getHeaders();
        TrustedProxies.Client client = settings.trustedProxies().resolve(peer.get(),
                ClientAddress.headers(headers, "X-Forwarded-For"), ClientAddress.headers(headers, "X-Forwarded-Proto"),
                ClientAddress.scheme(request));
        String origin = ClientAddress.header(headers, "Origin").orElse(null);
        String host = ClientAddress.header(headers, "Host").orElse(null);
        String path = request.getRequestURI() == null ? null : request.getRequestURI().getRawPath();
        if (!duplex.originPolicy().allows(origin, client.scheme(), host)) {
            LOG.log(System.Logger.Level.INFO, "WebSocket handshake to {0} from {1} refused: origin {2} not allowed ({3}://{4})",
                    path, client.address(), origin, client.scheme(), host);
            throw HandshakeRefusal.refuse(request, response, 403, "Origin not allowed");
        }
        // Standalone Tyrus has no login, so there a staff room is refused to everyone.
        if (StaffRooms.isStaffRoomPath(path) && !staff) {
            LOG.log(System.Logger.Level.INFO, "WebSocket handshake to {0} from {1} refused: staff only", path, client.address());
            throw HandshakeRefusal.refuse(request, response, 403, "Staff only");
        }
        if (config.getEndpointClass() == StatsEndpoint.class && !ops) {
            LOG.log(System.Logger.Level.INFO, "WebSocket handshake to {0} from {1} refused: no operations credentials", path, client.address());
            throw HandshakeRefusal.refuse(request, response, 401, "Credentials required");
        }
        properties.put(RemoteAddress.USER_PROPERTY, client.address());
    }

    /**
     * Declines {@code permessage-deflate} unless {@code duplex.permessage-deflate} is on. Every
     * browser offers it, and Tomcat negotiates whatever is offered and installed: each such
     * connection then holds a zlib deflater and inflater (about 130 KiB of native memory, kept
     * for the connection's life however idle it is, and not given back to the system after it
     * closes), and each member's copy of a broadcast is compressed on its own. Declining is the
     * portable way (Tomcat, Tyrus, Payara): the 101 then carries no {@code Sec-WebSocket-Extensions}
     * for it and the client sends uncompressed frames. With the knob on, the container's own choice
     * stands (Tomcat negotiates it; Tyrus and Payara install no implementation of it by default).
     */
    @Override
    public List<Extension> getNegotiatedExtensions(List<Extension> installed, List<Extension> requested) {
        if (settings().permessageDeflate()) {
            return super.getNegotiatedExtensions(installed, requested);
        }
        List<Extension> kept = requested.stream().filter(e -> !PERMESSAGE_DEFLATE.equalsIgnoreCase(e.getName())).toList();
        return super.getNegotiatedExtensions(installed, kept);
    }

    static final String PERMESSAGE_DEFLATE = "permessage-deflate";

    /**
     * The running application's settings, for parts the container builds itself (decoders get
     * the endpoint's config, whose configurator is this one). Defaults when Duplex is not running.
     */
    public Settings settings() {
        Duplex duplex = RUNNING.get();
        return duplex == null ? Settings.defaults() : duplex.settings();
    }

    @Override
    public <T> T getEndpointInstance(Class<T> endpointClass) throws InstantiationException {
        Duplex duplex = RUNNING.get();
        if (duplex == null) {
            throw new InstantiationException("Duplex is not running (starting up or shutting down)");
        }
        return duplex.newEndpoint(endpointClass);
    }
}
