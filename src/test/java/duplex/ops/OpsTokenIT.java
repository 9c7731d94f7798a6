package duplex.ops;

import duplex.testing.ServerUnderTest;
import duplex.testing.TomcatServer;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code duplex.ops.token} alone (no role): the challenge is Bearer. Its own class, because one
 * class loader runs one Duplex at a time and {@link OpsAccessIT} keeps its server up.
 */
class OpsTokenIT {

    private static final String TOKEN = "ops-token-only-0123456789";

    @Test
    void aTokenAloneChallengesWithBearer() {
        try (TomcatServer tomcat = ServerUnderTest.tomcat(Map.of("duplex.ops.token", TOKEN))) {
            HttpResponse<String> anonymous = OpsAccessIT.get(tomcat.http("metrics"), null);
            assertEquals(401, anonymous.statusCode());
            assertTrue(anonymous.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"), anonymous.headers().toString());
            assertEquals(401, OpsAccessIT.get(tomcat.http("dashboard.html"), OpsAccessIT.basic("alice", "alice-secret")).statusCode(),
                    "no role configured: a login is not the token");
            assertEquals(200, OpsAccessIT.get(tomcat.http("metrics"), "Bearer " + TOKEN).statusCode());
            assertEquals(200, OpsAccessIT.get(tomcat.http("health"), null).statusCode());
        }
    }
}
