package duplex.guard;

import duplex.testing.ServerUnderTest;
import org.junit.jupiter.api.BeforeAll;

import java.util.Map;

/** The hostile-client suite on the embedded Tyrus server, with default settings. */
class HostileClientIT extends HostileClientCases {

    @BeforeAll
    static void start() {
        // Always embedded: the suite looks inside the server (connection counts) and the JVM.
        runAgainst(ServerUnderTest.tyrus(Map.of()), new Expectations(
                500, // a missing key: Tyrus's answer; still not an upgrade, and no endpoint is reached
                false, // unmasked frames: taken as if masked
                1011, // a huge frame: Tyrus's buffer overflow
                false)); // Tyrus's Grizzly server answers 404 to "Upgrade: foo, websocket" and the like: no upgrade
    }
}
