package duplex.app;

import duplex.delivery.RemoteAddress;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Hands each new endpoint instance its shared services.
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

    /**
     * Records the client's address for the logs (see {@link HandshakeAddress}). Only where the
     * container hands this method a per-session copy of the configuration (Tomcat does): where it
     * is shared (Tyrus), writing to it would mix up concurrent handshakes, and Tyrus reports the
     * address on its session anyway.
     */
    @Override
    public void modifyHandshake(ServerEndpointConfig config, HandshakeRequest request, HandshakeResponse response) {
        super.modifyHandshake(config, request, response);
        String address = HandshakeAddress.current();
        if (address != null && config.getClass().getSimpleName().contains("PerSession")) {
            config.getUserProperties().put(RemoteAddress.USER_PROPERTY, address);
        }
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
