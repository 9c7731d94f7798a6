package duplex.bench.jetty;

import org.eclipse.jetty.ee10.annotations.AnnotationConfiguration;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.ee10.websocket.jakarta.server.config.JakartaWebSocketConfiguration;
import org.eclipse.jetty.security.HashLoginService;
import org.eclipse.jetty.security.UserStore;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A stock Jetty 12 (ee10) serving one WAR, for the harness: {@code JettyMain PORT WAR CONTEXT
 * WORKDIR}. Everything is Jetty's default (thread pool, buffers, the connector) but the address,
 * 127.0.0.1, and the WAR's BASIC realm, which Jetty will not deploy without a login service of
 * that name (an empty one here: no user, as on a fresh Tomcat). Stops on SIGTERM.
 */
public final class JettyMain {

    private JettyMain() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Path war = Path.of(args[1]).toAbsolutePath();
        String contextPath = args[2];
        Path work = Files.createDirectories(Path.of(args[3]).toAbsolutePath());

        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        // As Tomcat's bench connector: 1024 pending connections, for the storms and the idle scenario.
        connector.setAcceptQueueSize(1024);
        server.addConnector(connector);

        HashLoginService realm = new HashLoginService("Duplex");
        realm.setUserStore(new UserStore());
        server.addBean(realm);

        WebAppContext webapp = new WebAppContext();
        webapp.setContextPath(contextPath);
        webapp.setWar(war.toString());
        webapp.setTempDirectory(work.toFile());
        webapp.addConfiguration(new AnnotationConfiguration(), new JakartaWebSocketConfiguration());
        server.setHandler(webapp);
        server.setStopAtShutdown(true);
        server.start();
        if (!webapp.isAvailable()) {
            throw new IllegalStateException("the WAR did not deploy on Jetty", webapp.getUnavailableException());
        }
        System.out.println("Jetty " + Server.getVersion() + " serving " + war + " at " + contextPath + " on 127.0.0.1:" + port);
        server.join();
    }
}
