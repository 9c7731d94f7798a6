package duplex.ops;

import duplex.testing.ServerUnderTest;
import duplex.testing.TyrusServer;
import duplex.testing.Scrape;
import duplex.testing.WsClient;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.time.Duration;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The quotes' metrics on the embedded server: errors by code, and conflated updates for a stalled reader. */
class QuotesMetricsIT {

    private static JsonObject next(WsClient client, String type) {
        long deadline = System.nanoTime() + WsClient.TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            JsonObject message = Json.createReader(new StringReader(client.nextText())).readObject();
            if (message.getString("type").equals(type)) {
                return message;
            }
        }
        throw new AssertionError("no " + type + " within " + WsClient.TIMEOUT);
    }

    @Test
    void errorsAndConflatedUpdatesAreCounted() {
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of("duplex.quotes.ticks-per-second", "1000"));
             // fast ticks fill the socket buffers of a stalled reader in seconds, not minutes
             WsClient client = WsClient.connect(server.ws("quotes"))) {
            next(client, "symbols");
            client.send("{\"type\":\"buy\"}");
            assertEquals("unknown_type", next(client, "error").getString("code"));
            Scrape errors = Scrape.parse(server.duplex().metrics().scrape(Metrics.TEXT_CONTENT_TYPE));
            assertEquals(1, errors.value("duplex_errors_total", "endpoint", "quotes", "code", "unknown_type"));
            assertEquals(0, errors.value("duplex_quotes_conflated_total"));

            // A reader that stops: prices keep moving, and each newer one replaces the unsent older one.
            client.send("{\"type\":\"subscribe\",\"symbols\":[\"*\"]}");
            next(client, "snapshot");
            client.stopReading();
            await().atMost(WsClient.TIMEOUT).pollInterval(Duration.ofMillis(100)).until(() ->
                    Scrape.parse(server.duplex().metrics().scrape(Metrics.TEXT_CONTENT_TYPE)).value("duplex_quotes_conflated_total")
                            > 0);
        }
    }
}
