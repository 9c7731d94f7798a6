package duplex.ops;

import duplex.testing.RedisServer;
import duplex.testing.Scrape;
import duplex.testing.ServerUnderTest;
import duplex.testing.TomcatServer;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * /health and /metrics follow the Redis bus for real: the WAR on embedded Tomcat 11 with
 * {@code duplex.redis-url} pointing at a redis-server of its own, which the test stops and
 * starts again.
 */
class HealthRedisIT {

    private static final Duration AWAIT = Duration.ofSeconds(30);

    @Test
    void downWithA503OnceRedisIsGoneLongerThanTheGraceAndUpAgainWhenItIsBack() throws Exception {
        assumeTrue(RedisServer.installed(), "redis-server is not installed (.ci/run installs it)");
        try (RedisServer redis = RedisServer.start("health-redis");
             TomcatServer server = ServerUnderTest.tomcat(Map.of(
                     "duplex.redis-url", redis.url(),
                     "duplex.health.bus-grace", "1s",
                     "duplex.redis.timeout", "500ms"))) {
            JsonObject up = health(server, 200);
            assertEquals("UP", up.getString("status"));
            assertEquals("redis", up.getJsonObject("bus").getString("type"));
            assertEquals("connected", up.getJsonObject("bus").getString("state"));
            assertEquals(1, busUp(server));

            redis.stop();
            await("DOWN once Redis is gone past the grace").atMost(AWAIT).pollInterval(Duration.ofMillis(200))
                    .until(() -> status(server) == 503);
            JsonObject down = health(server, 503);
            assertEquals("DOWN", down.getString("status"));
            assertEquals("reconnecting", down.getJsonObject("bus").getString("state"));
            assertTrue(down.getString("reason").startsWith("redis bus unreachable for "), down.toString());
            assertTrue(down.getJsonObject("bus").getJsonNumber("unreachableSeconds").doubleValue() > 1.0);
            assertEquals(0, busUp(server));

            redis.start();
            await("UP again once Redis is back").atMost(AWAIT).pollInterval(Duration.ofMillis(200))
                    .until(() -> status(server) == 200);
            assertEquals("connected", health(server, 200).getJsonObject("bus").getString("state"));
            assertEquals(1, busUp(server));
        }
    }

    private static int status(TomcatServer server) throws Exception {
        return OpsIT.get(server.http("health"), null).statusCode();
    }

    private static JsonObject health(TomcatServer server, int expectedStatus) throws Exception {
        HttpResponse<String> response = OpsIT.get(server.http("health"), null);
        assertEquals(expectedStatus, response.statusCode(), response.body());
        return Json.createReader(new StringReader(response.body())).readObject();
    }

    private static double busUp(TomcatServer server) throws Exception {
        return Scrape.parse(OpsIT.get(server.http("metrics"), null).body()).value("duplex_bus_up", "bus", "redis");
    }
}
