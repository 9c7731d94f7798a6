package duplex.guard;

import duplex.testing.TomcatServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.net.URI;

/**
 * The hostile-client suite on Tomcat 11 (embedded, the exploded WAR), with default settings: the servlet path of the
 * origin policy ({@link HandshakeGuard}) and Tomcat's own frame handling.
 */
class HostileTomcatIT extends HostileClientCases {

    private static TomcatServer server;

    @BeforeAll
    static void start() {
        installWatchers();
        server = TomcatServer.war(java.util.Map.of());
        new HostileTomcatIT().measureBaseline();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Override
    String serverName() {
        return "tomcat";
    }

    @Override
    URI ws(String path) {
        return server.ws(path);
    }

    @Override
    int serverConnections() {
        return server.duplex().connections().count();
    }

    @Override
    int missingKeyStatus() {
        return 400;
    }

    @Override
    boolean closesOnUnmaskedFrames() {
        return true;
    }

    @Override
    int hugeFrameCloseCode() {
        return 1009;
    }

    @Override
    boolean hasChat() {
        return duplex.app.Duplex.ENDPOINTS.stream().anyMatch(e -> e.getSimpleName().equals("ChatEndpoint"));
    }

    @Override
    boolean upgradesTokenLists() {
        return true;
    }
}
