package duplex.bench;

import duplex.app.Config;
import duplex.app.Duplex;
import duplex.app.DuplexConfigurator;
import duplex.app.Settings;
import org.glassfish.tyrus.server.Server;

import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Duplex on embedded Tyrus + Grizzly as a server process of its own, for the harness: every
 * endpoint of {@link Duplex#ENDPOINTS} under /duplex on 127.0.0.1 and the given port. Knobs come
 * from system properties and the environment, as on any server. Stops on SIGTERM.
 */
public final class TyrusMain {

    private TyrusMain() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Settings settings = Settings.load(Config.fromPlatform(name -> null));
        Duplex duplex = new Duplex(settings);
        DuplexConfigurator.install(duplex);
        Server server = new Server("127.0.0.1", port, "/duplex", Map.of(), Duplex.ENDPOINTS.toArray(Class<?>[]::new));
        server.start();
        System.out.println("Duplex on Tyrus listening on 127.0.0.1:" + port + " with " + settings);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            DuplexConfigurator.uninstall(duplex);
            duplex.close();
            server.stop();
            stopped.countDown();
        }, "duplex-bench-stop"));
        stopped.await();
    }
}
