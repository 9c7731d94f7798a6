package duplex.testing;

import duplex.app.Config;
import duplex.app.Duplex;
import duplex.app.DuplexConfigurator;
import duplex.app.Settings;
import org.glassfish.tyrus.server.Server;

import java.net.URI;
import java.util.Map;
import java.util.Optional;

/**
 * The server a test talks to. By default an embedded Tyrus on Grizzly with every Duplex endpoint,
 * on a port the OS picks. Given {@code -Dduplex.baseUrl=http://host:port/context}, the same tests
 * run against that deployed server instead (tests that need non-default settings skip there).
 */
public final class DuplexServer implements AutoCloseable {

    public static final String BASE_URL_PROPERTY = "duplex.baseUrl";
    private static final String CONTEXT = "/duplex";

    private final URI httpBase;
    private final Server tyrus;
    private final Duplex duplex;

    private DuplexServer(URI httpBase, Server tyrus, Duplex duplex) {
        this.httpBase = httpBase;
        this.tyrus = tyrus;
        this.duplex = duplex;
    }

    /** A deployed server named by {@value #BASE_URL_PROPERTY}, if any. */
    public static Optional<URI> deployed() {
        return Optional.ofNullable(System.getProperty(BASE_URL_PROPERTY))
                .filter(s -> !s.isBlank())
                .map(s -> URI.create(s.endsWith("/") ? s : s + "/"));
    }

    /** The deployed server if one is named, else an embedded one with default settings. */
    public static DuplexServer start() {
        Optional<URI> deployed = deployed();
        if (deployed.isPresent()) {
            return new DuplexServer(deployed.get(), null, null);
        }
        return embedded(Settings.defaults());
    }

    /** Always embedded: for tests that need their own settings ({@code knob -> value}). */
    public static DuplexServer embedded(Map<String, String> knobs) {
        return embedded(Settings.load(Config.of(knobs)));
    }

    public static DuplexServer embedded(Settings settings) {
        Duplex duplex = new Duplex(settings);
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
        return new DuplexServer(base, server, duplex);
    }

    public boolean isEmbedded() {
        return tyrus != null;
    }

    /** The running composition root (embedded only). */
    public Duplex duplex() {
        if (duplex == null) {
            throw new IllegalStateException("not embedded");
        }
        return duplex;
    }

    public URI http(String path) {
        return httpBase.resolve(path.startsWith("/") ? path.substring(1) : path);
    }

    public URI ws(String path) {
        URI http = http(path);
        String scheme = http.getScheme().equals("https") ? "wss" : "ws";
        return URI.create(scheme + http.toString().substring(http.getScheme().length()));
    }

    /** Graceful stop, as on undeploy: clients see 1001. */
    @Override
    public void close() {
        if (tyrus != null) {
            DuplexConfigurator.uninstall(duplex);
            duplex.close();
            tyrus.stop();
        }
    }
}
