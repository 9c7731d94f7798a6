package duplex.guard;

import duplex.app.Settings;
import duplex.testing.DuplexServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.net.URI;

/** The hostile-client suite on the embedded Tyrus server, with default settings. */
class HostileClientIT extends HostileClientCases {

    private static DuplexServer server;

    @BeforeAll
    static void start() {
        installWatchers();
        // Always embedded: the suite looks inside the server (connection counts) and the JVM.
        server = DuplexServer.embedded(Settings.defaults());
        new HostileClientIT().measureBaseline();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Override
    String serverName() {
        return "tyrus";
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
        return 500; // Tyrus's answer; still not an upgrade, and no endpoint is reached
    }

    @Override
    boolean closesOnUnmaskedFrames() {
        return false;
    }

    @Override
    int hugeFrameCloseCode() {
        return 1011;
    }

    @Override
    boolean hasChat() {
        return duplex.app.Duplex.ENDPOINTS.stream().anyMatch(e -> e.getSimpleName().equals("ChatEndpoint"));
    }

    @Override
    boolean upgradesTokenLists() {
        return false; // Tyrus's Grizzly server answers 404 to "Upgrade: foo, websocket" and the like: no upgrade
    }
}
