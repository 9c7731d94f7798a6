package duplex.ops;

import duplex.testing.ServerUnderTest;
import duplex.testing.TyrusServer;
import duplex.testing.WsClient;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.util.Map;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The dashboard's feed, {@code /stats}, over real sockets. */
class StatsIT {

    private static JsonObject next(WsClient client) {
        return Json.createReader(new StringReader(client.nextText())).readObject();
    }

    /** Reads snapshots until one satisfies the condition; fails after the client's timeout. */
    private static JsonObject awaitSnapshot(WsClient client, Predicate<JsonObject> condition) {
        long deadline = System.nanoTime() + WsClient.TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            JsonObject message = next(client);
            if (message.getString("type").equals("snapshot") && condition.test(message)) {
                return message;
            }
        }
        throw new AssertionError("no such snapshot within " + WsClient.TIMEOUT);
    }

    private static JsonObject endpoint(JsonObject snapshot, String name) {
        return snapshot.getJsonArray("endpoints").getValuesAs(JsonObject.class).stream()
                .filter(e -> e.getString("name").equals(name)).findFirst().orElseThrow();
    }

    @Test
    void aDashboardGetsHistoryThenASnapshotEveryInterval() {
        try (ServerUnderTest server = ServerUnderTest.configured("StatsIT", false); WsClient dashboard = WsClient.connect(server.ws("stats"))) {
            JsonObject history = next(dashboard);
            assertEquals("history", history.getString("type"));
            assertEquals(300, history.getInt("historySeconds"));
            JsonObject first = next(dashboard);
            JsonObject second = next(dashboard);
            assertEquals("snapshot", first.getString("type"));
            assertEquals("snapshot", second.getString("type"));
            assertEquals("UP", second.getString("status"));
            assertTrue(second.getJsonObject("point").getJsonNumber("time").longValue()
                    > first.getJsonObject("point").getJsonNumber("time").longValue());
            assertTrue(endpoint(second, "stats").getInt("open") >= 1, "the dashboard counts itself");
        }
    }

    @Test
    void snapshotsFollowTheTrafficOfTheOtherEndpoints() {
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of("duplex.stats.interval", "200ms"));
             WsClient dashboard = WsClient.connect(server.ws("stats"))) {
            assertEquals("history", next(dashboard).getString("type"));
            try (WsClient echo = WsClient.connect(server.ws("echo"))) {
                JsonObject open = awaitSnapshot(dashboard, s -> endpoint(s, "echo").getInt("open") == 1);
                assertEquals(1, open.getJsonObject("point").getJsonObject("connections").getInt("echo"));
                for (int i = 0; i < 20; i++) {
                    echo.send("message " + i);
                    assertEquals("message " + i, echo.nextText());
                }
                JsonObject busy = awaitSnapshot(dashboard, s -> endpoint(s, "echo").getInt("sent") == 20);
                assertEquals(20, endpoint(busy, "echo").getInt("received"));
                // the 20 messages each way show up as a rate in some snapshot's point
                awaitSnapshot(dashboard, s -> s.getJsonObject("point").getJsonNumber("sentPerSecond").doubleValue() == 0);
                JsonObject history = Json.createReader(new StringReader(historyOf(server))).readObject();
                var points = history.getJsonArray("points").getValuesAs(JsonObject.class);
                double sentInHistory = 0;
                for (int i = 1; i < points.size(); i++) {
                    double seconds = (points.get(i).getJsonNumber("time").longValue()
                            - points.get(i - 1).getJsonNumber("time").longValue()) / 1000.0;
                    sentInHistory += points.get(i).getJsonNumber("sentPerSecond").doubleValue() * seconds;
                }
                assertTrue(Math.abs(sentInHistory - 20) < 1.5, "rates add up to the messages sent: " + sentInHistory);
            }
            JsonObject closed = awaitSnapshot(dashboard, s -> endpoint(s, "echo").getInt("open") == 0);
            assertEquals(1, endpoint(closed, "echo").getJsonObject("closes").getInt("1000"));
        }
    }

    /** What a dashboard connecting now would get first. */
    private static String historyOf(TyrusServer server) {
        try (WsClient late = WsClient.connect(server.ws("stats"))) {
            return late.nextText();
        }
    }

    @Test
    void theFeedIsReadOnly() {
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of("duplex.stats.interval", "1m"));
             WsClient dashboard = WsClient.connect(server.ws("stats"))) {
            assertEquals("history", next(dashboard).getString("type"));
            dashboard.send("{\"type\":\"subscribe\"}");
            JsonObject error = next(dashboard);
            assertEquals("error", error.getString("type"));
            assertEquals("unknown_type", error.getString("code"));
        }
    }

    @Test
    void dashboardsAreClosedWith1001WhenTheServerStops() {
        TyrusServer server = ServerUnderTest.tyrus(Map.of("duplex.stats.interval", "100ms"));
        try (WsClient dashboard = WsClient.connect(server.ws("stats"))) {
            assertEquals("history", next(dashboard).getString("type"));
            server.close();
            assertEquals(1001, dashboard.awaitClose().code());
        }
    }
}
