package duplex.ops;

import duplex.bus.BusStatus;
import duplex.testing.TomcatServer;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code /health} over real HTTP as the bus it reports on comes and goes. */
class HealthServletIT {

    /** A Redis-like bus whose state the test sets. */
    private static final class SwitchableBus implements BusStatus {
        final AtomicReference<Duration> unreachable = new AtomicReference<>(null);

        @Override
        public String kind() {
            return "redis";
        }

        @Override
        public State state() {
            return unreachable.get() == null ? State.CONNECTED : State.RECONNECTING;
        }

        @Override
        public Duration unreachableFor() {
            Duration down = unreachable.get();
            return down == null ? Duration.ZERO : down;
        }
    }

    @Test
    void answers503WhileTheBusIsUnreachableBeyondItsGraceAnd200Again() throws Exception {
        SwitchableBus bus = new SwitchableBus();
        AtomicBoolean serving = new AtomicBoolean(true);
        Health health = new Health(serving::get, () -> Map.of("chat", 7), () -> 2, () -> 0, () -> bus, Duration.ofSeconds(5));
        try (TomcatServer server = TomcatServer.servlet("/health", new HealthServlet(() -> health))) {
            HttpResponse<String> up = OpsIT.get(server.http("health"), null);
            assertEquals(200, up.statusCode());
            assertEquals("no-store", up.headers().firstValue("Cache-Control").orElse(""));
            JsonObject upJson = json(up);
            assertEquals("UP", upJson.getString("status"));
            assertEquals("connected", upJson.getJsonObject("bus").getString("state"));
            assertEquals(7, upJson.getJsonObject("connections").getInt("chat"));
            assertEquals(2, upJson.getInt("rooms"));

            bus.unreachable.set(Duration.ofSeconds(2));
            HttpResponse<String> blip = OpsIT.get(server.http("health"), null);
            assertEquals(200, blip.statusCode(), "within the grace: " + blip.body());
            assertEquals("reconnecting", json(blip).getJsonObject("bus").getString("state"));

            bus.unreachable.set(Duration.ofSeconds(6));
            HttpResponse<String> down = OpsIT.get(server.http("health"), null);
            assertEquals(503, down.statusCode());
            assertTrue(down.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
            JsonObject downJson = json(down);
            assertEquals("DOWN", downJson.getString("status"));
            assertTrue(downJson.getString("reason").startsWith("redis bus unreachable"), downJson.toString());

            bus.unreachable.set(null);
            assertEquals(200, OpsIT.get(server.http("health"), null).statusCode());

            serving.set(false);
            HttpResponse<String> stopping = OpsIT.get(server.http("health"), null);
            assertEquals(503, stopping.statusCode());
            assertEquals("shutting down", json(stopping).getString("reason"));
        }
    }

    @Test
    void answers503WhenNoDuplexRuns() throws Exception {
        try (TomcatServer server = TomcatServer.servlet("/health", new HealthServlet(() -> null))) {
            HttpResponse<String> response = OpsIT.get(server.http("health"), null);
            assertEquals(503, response.statusCode());
            assertEquals("DOWN", json(response).getString("status"));
        }
    }

    private static JsonObject json(HttpResponse<String> response) {
        return Json.createReader(new StringReader(response.body())).readObject();
    }
}
