package duplex.guard;

import duplex.testing.ServerUnderTest;
import org.junit.jupiter.api.BeforeAll;

import java.util.Map;

/**
 * The hostile-client suite on Tomcat 11 (embedded, the exploded WAR), with default settings: the servlet path of the
 * origin policy ({@link HandshakeGuard}) and Tomcat's own frame handling.
 */
class HostileTomcatIT extends HostileClientCases {

    @BeforeAll
    static void start() {
        // Tomcat's answers: 400 to a missing key, a close on unmasked frames, the endpoint's own
        // limit (1009) for a huge frame, and an upgrade for Upgrade headers that list tokens.
        runAgainst(ServerUnderTest.tomcat(Map.of()), new Expectations(400, true, 1009, true));
    }
}
