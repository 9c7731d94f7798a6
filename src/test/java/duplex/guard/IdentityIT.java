package duplex.guard;

import duplex.testing.RawWebSocket;
import duplex.testing.TomcatServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Container-managed identity at the handshake, on Tomcat with a users file (alice is staff, bob
 * is not): staff rooms need the role, credentials anywhere are checked.
 */
class IdentityIT {

    private static TomcatServer tomcat;

    @BeforeAll
    static void start() {
        tomcat = TomcatServer.war(Map.of(), Path.of("src/test/resources/duplex/guard/tomcat-users.xml"));
    }

    @AfterAll
    static void stop() {
        tomcat.close();
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    static RawWebSocket.Response handshake(URI uri, String authorization) {
        Map<String, String> headers = new HashMap<>();
        if (authorization != null) {
            headers.put("Authorization", authorization);
        }
        try (RawWebSocket raw = RawWebSocket.connect(uri)) {
            return raw.handshake(uri, headers);
        }
    }

    @Test
    void aStaffRoomChallengesAnonymousUsers() {
        RawWebSocket.Response response = handshake(tomcat.ws("chat/staff-ops"), null);
        assertEquals(401, response.status(), response.statusLine());
        assertTrue(String.valueOf(response.header("WWW-Authenticate")).startsWith("Basic"), response.headers().toString());
        // Case and encoding do not get around it.
        assertEquals(401, handshake(tomcat.ws("chat/Staff-ops"), null).status());
        assertEquals(401, handshake(URI.create(tomcat.ws("chat/").toString() + "%73taff-ops"), null).status());
    }

    @Test
    void aStaffRoomRefusesUsersWithoutTheRole() {
        assertEquals(403, handshake(tomcat.ws("chat/staff-ops"), basic("bob", "bob-secret")).status());
    }

    @Test
    void wrongCredentialsAreRefusedAnywhere() {
        assertEquals(401, handshake(tomcat.ws("chat/staff-ops"), basic("alice", "wrong")).status());
        assertEquals(401, handshake(tomcat.ws("echo"), basic("alice", "wrong")).status());
    }

    @Test
    void credentialsAreOptionalElsewhere() {
        assertEquals(101, handshake(tomcat.ws("echo"), null).status());
        assertEquals(101, handshake(tomcat.ws("echo"), basic("bob", "bob-secret")).status());
    }
}
