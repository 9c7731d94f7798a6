package duplex.ops;

import duplex.bus.BusStatus;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HealthTest {

    /** A bus whose state the test sets. */
    private static final class FakeBus implements BusStatus {
        volatile State state = State.CONNECTED;
        volatile Duration unreachable = Duration.ZERO;

        @Override
        public String kind() {
            return "redis";
        }

        @Override
        public State state() {
            return state;
        }

        @Override
        public Duration unreachableFor() {
            return unreachable;
        }
    }

    private final AtomicBoolean serving = new AtomicBoolean(true);
    private final AtomicReference<BusStatus> bus = new AtomicReference<>(BusStatus.LOCAL);
    private final Health health = new Health(serving::get, () -> Map.of("echo", 2, "chat", 3), () -> 4, () -> 1,
            bus::get, Duration.ofSeconds(10));

    @Test
    void upWithTheFiguresAnOperatorChecksFirst() {
        Health.Report report = health.check();
        assertTrue(report.up());
        assertEquals(200, report.httpStatus());
        JsonObject json = report.json();
        assertEquals("UP", json.getString("status"));
        assertEquals(2, json.getJsonObject("connections").getInt("echo"));
        assertEquals(3, json.getJsonObject("connections").getInt("chat"));
        assertEquals(5, json.getInt("connectionsTotal"));
        assertEquals(4, json.getInt("rooms"));
        assertEquals("local", json.getJsonObject("bus").getString("type"));
        assertEquals("local", json.getJsonObject("bus").getString("state"));
        assertTrue(json.getJsonNumber("uptimeSeconds").longValue() >= 0);
        assertTrue(json.getString("uptime").startsWith("PT"));
        assertFalse(json.containsKey("reason"));
    }

    @Test
    void aBusReconnectingWithinItsGraceIsStillUpAndBeyondItIsDown() {
        FakeBus redis = new FakeBus();
        bus.set(redis);
        assertTrue(health.check().up());
        assertEquals("connected", health.check().json().getJsonObject("bus").getString("state"));

        redis.state = BusStatus.State.RECONNECTING;
        redis.unreachable = Duration.ofSeconds(3);
        Health.Report brief = health.check();
        assertTrue(brief.up(), "a short outage is within the grace");
        assertEquals("reconnecting", brief.json().getJsonObject("bus").getString("state"));
        assertEquals(3.0, brief.json().getJsonObject("bus").getJsonNumber("unreachableSeconds").doubleValue());

        redis.unreachable = Duration.ofSeconds(11);
        Health.Report down = health.check();
        assertFalse(down.up());
        assertEquals(503, down.httpStatus());
        assertEquals("DOWN", down.json().getString("status"));
        assertTrue(down.json().getString("reason").contains("redis bus unreachable for 11 s"), down.json().toString());

        redis.state = BusStatus.State.CONNECTED;
        redis.unreachable = Duration.ZERO;
        assertTrue(health.check().up(), "back up once the bus reconnects");
    }

    @Test
    void downWhileShuttingDown() {
        serving.set(false);
        Health.Report report = health.check();
        assertEquals(503, report.httpStatus());
        assertEquals("shutting down", report.json().getString("reason"));
    }

    @Test
    void downWhenNothingRuns() {
        assertEquals(503, Health.notRunning().httpStatus());
        assertEquals("DOWN", Health.notRunning().json().getString("status"));
    }
}
