package duplex.testing;

import duplex.app.Config;
import duplex.app.Duplex;
import duplex.app.DuplexConfigurator;
import duplex.app.Settings;
import org.glassfish.tyrus.server.Server;

import java.net.URI;
import java.util.Map;

/**
 * Embedded Tyrus on Grizzly with every Duplex endpoint, in this JVM, on a port the OS picks.
 * WebSockets only: no servlets, no pages ({@link TomcatServer} serves those).
 */
public final class TyrusServer implements ServerUnderTest.InJvm {

    private static final String CONTEXT = "/duplex";

    private final URI base;
    private final Server tyrus;
    private final Duplex duplex;

    private TyrusServer(URI base, Server tyrus, Duplex duplex) {
        this.base = base;
        this.tyrus = tyrus;
        this.duplex = duplex;
    }

    /** With these settings ({@code knob -> value}); see {@link ServerUnderTest#tyrus}. */
    static TyrusServer start(Map<String, String> knobs) {
        Duplex duplex = new Duplex(Settings.load(Config.of(knobs)));
        DuplexConfigurator.install(duplex);
        Server server = new Server("localhost", -1, CONTEXT, Map.of(), Duplex.ENDPOINTS.toArray(Class<?>[]::new));
        try {
            server.start();
        } catch (Exception e) {
            DuplexConfigurator.uninstall(duplex);
            duplex.close();
            throw new IllegalStateException("embedded Tyrus did not start", e);
        }
        URI base = URI.create("http://localhost:" + server.getPort() + CONTEXT + "/");
        return new TyrusServer(base, server, duplex);
    }

    @Override
    public String name() {
        return "tyrus";
    }

    @Override
    public URI base() {
        return base;
    }

    /** The running composition root. */
    @Override
    public Duplex duplex() {
        return duplex;
    }

    /** Graceful stop, as on undeploy: clients see 1001. */
    @Override
    public void close() {
        DuplexConfigurator.uninstall(duplex);
        duplex.close();
        tyrus.stop();
    }
}
