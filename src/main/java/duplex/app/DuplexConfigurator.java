package duplex.app;

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

    @Override
    public <T> T getEndpointInstance(Class<T> endpointClass) throws InstantiationException {
        Duplex duplex = RUNNING.get();
        if (duplex == null) {
            throw new InstantiationException("Duplex is not running (starting up or shutting down)");
        }
        return duplex.newEndpoint(endpointClass);
    }
}
