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
import java.util.function.Predicate;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chat's metrics under a scripted session on the embedded server: rooms, messages each way,
 * broadcast fan-out time, errors by code and rate-limited messages, read from the parsed scrape.
 */
class ChatMetricsIT {

    private static final String ROOM = "metrics-room";

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
    void chatTrafficErrorsAndRateLimitsAreCounted() {
        // A bucket of 3 that barely refills: the fourth message in a row is rate limited.
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of(
                "duplex.rate-limit.burst", "3", "duplex.rate-limit.per-second", "0.01"))) {
            Predicate<Predicate<Scrape>> eventually = condition -> {
                await().atMost(WsClient.TIMEOUT).pollInterval(Duration.ofMillis(50))
                        .until(() -> condition.test(Scrape.parse(server.duplex().metrics().scrape(Metrics.TEXT_CONTENT_TYPE))));
                return true;
            };
            try (WsClient alice = WsClient.connect(server.ws("chat/" + ROOM + "?name=Alice"));
                 WsClient bob = WsClient.connect(server.ws("chat/" + ROOM + "?name=Bob"))) {
                next(alice, "welcome");
                next(bob, "welcome");
                eventually.test(s -> s.value("duplex_rooms") == 1 && s.value("duplex_sessions_open", "endpoint", "chat") == 2);
                assertEquals(1, server.duplex().health().check().json().getInt("rooms"));

                alice.send("{\"type\":\"say\",\"text\":\"hello\"}");
                assertEquals("hello", next(bob, "message").getString("text"));
                assertEquals("hello", next(alice, "message").getString("text"));
                eventually.test(s -> s.histogramCount("duplex_broadcast_fanout_seconds", "endpoint", "chat") >= 2 // joined + message
                        && s.value("duplex_messages_received_total", "endpoint", "chat") == 1);

                alice.send("not json");
                assertEquals("bad_json", next(alice, "error").getString("code"));
                for (int i = 0; i < 3; i++) { // the first still fits the bucket, the next two do not
                    alice.send("{\"type\":\"say\",\"text\":\"again " + i + "\"}");
                }
                assertEquals("rate_limited", next(alice, "error").getString("code"));
                assertEquals("rate_limited", next(alice, "error").getString("code"));

                eventually.test(s -> s.value("duplex_rate_limited_total", "endpoint", "chat") == 2);
                Scrape scrape = Scrape.parse(server.duplex().metrics().scrape(Metrics.TEXT_CONTENT_TYPE));
                assertEquals(1, scrape.value("duplex_errors_total", "endpoint", "chat", "code", "bad_json"));
                assertEquals(2, scrape.value("duplex_errors_total", "endpoint", "chat", "code", "rate_limited"));
                assertEquals(0, scrape.value("duplex_errors_total", "endpoint", "chat", "code", "invalid"));
                assertEquals(5, scrape.value("duplex_messages_received_total", "endpoint", "chat"), "every frame counts, refused ones too");
                assertTrue(scrape.value("duplex_messages_sent_total", "endpoint", "chat") >= 7,
                        "2 welcomes, 1 joined, 2 messages, 3 errors at least");
            }
            eventually.test(s -> s.value("duplex_rooms") == 0 && s.value("duplex_sessions_open", "endpoint", "chat") == 0);
            Scrape closed = Scrape.parse(server.duplex().metrics().scrape(Metrics.TEXT_CONTENT_TYPE));
            assertEquals(2, closed.value("duplex_closes_total", "endpoint", "chat", "code", "1000"));
        }
    }
}
