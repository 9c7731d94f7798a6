package duplex.app;

import duplex.delivery.RemoteAddress;
import duplex.guard.ClientAddress;
import duplex.guard.HandshakeRefusal;
import duplex.guard.StaffRooms;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Hands each new endpoint instance its shared services, and applies the origin policy to every
 * endpoint's handshake.
 *
 * <p>The origin policy is applied twice, on purpose. On servlet containers {@code HandshakeGuard}
 * (a filter) has already refused a bad origin with 403. Standalone Tyrus has no filters: there
 * {@link #checkOrigin} refuses (403) what no Host could make acceptable, and
 * {@link #modifyHandshake}, the first call that sees the Host header, refuses the rest.
 *
 * <p>Why a static reference: the container instantiates a configurator from the annotation and
 * gives it no path to the ServletContext, so the running {@link Duplex} must be reachable from
 * here. It is the application's only static state; the WAR's own class loader makes it one per
 * deployment, and {@link DuplexListener} sets and clears it.
 */
public class DuplexConfigurator extends ServerEndpointConfig.Configurator {

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
        // Same-origin requests depend on the Host header, which only modifyHandshake sees.
        return duplex.originPolicy().decideWithoutHost(originHeaderValue).orElse(true);
    }

    /**
     * Applies the whole origin policy (now that the Host header is visible), and records the
     * client's address for the per-address limit and the logs. Tomcat 10.1+ and Tyrus 2.1+
     * (WebSocket 2.1) hand this method a per-handshake copy of the configuration whose user
     * properties become the session's: nothing written here is shared between connections.
     */
    @Override
    public void modifyHandshake(ServerEndpointConfig config, HandshakeRequest request, HandshakeResponse response) {
        super.modifyHandshake(config, request, response);
        Duplex duplex = RUNNING.get();
        if (duplex == null) {
            return;
        }
        Optional<String> origin = ClientAddress.header(request.getHeaders(), "Origin");
        Optional<String> host = ClientAddress.header(request.getHeaders(), "Host");
        if (!duplex.originPolicy().allows(origin.orElse(null), host.orElse(null))) {
            throw HandshakeRefusal.refuse(request, response, 403, "Origin not allowed");
        }
        // HandshakeGuard has checked this on servlet containers; standalone Tyrus has no login,
        // so there a staff room is refused to everyone.
        if (StaffRooms.isStaffRoomPath(request.getRequestURI().getPath()) && !request.isUserInRole(StaffRooms.ROLE)) {
            throw HandshakeRefusal.refuse(request, response, 403, "Staff only");
        }
        ClientAddress.fromHandshake(request, duplex.handshakeToken())
                .ifPresent(address -> config.getUserProperties().put(RemoteAddress.USER_PROPERTY, address));
    }

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
