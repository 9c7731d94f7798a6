package duplex.guard;

import duplex.app.Settings;
import duplex.testing.DuplexServer;
import org.junit.jupiter.api.BeforeAll;

/** The hostile-client suite on the embedded Tyrus server, with default settings. */
class HostileClientIT extends HostileClientCases {

    @BeforeAll
    static void start() {
        // Always embedded: the suite looks inside the server (connection counts) and the JVM.
        DuplexServer tyrus = DuplexServer.embedded(Settings.defaults());
        runAgainst(new ServerUnderTest("tyrus", tyrus, tyrus::ws, () -> tyrus.duplex().connections().count(),
                500, // a missing key: Tyrus's answer; still not an upgrade, and no endpoint is reached
                false, // unmasked frames: taken as if masked
                1011, // a huge frame: Tyrus's buffer overflow
                false)); // Tyrus's Grizzly server answers 404 to "Upgrade: foo, websocket" and the like: no upgrade
    }
}
