package duplex.quotes;

import duplex.testing.ServerUnderTest;
import duplex.testing.ServerUnderTestExtension;
import duplex.testing.WsClient;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * /quotes over real sockets with default settings (10 ticks per second per symbol). Runs on
 * embedded Tyrus by default and unchanged on the server -Dduplex.server names or a deployed
 * server given -Dduplex.baseUrl.
 */
@ExtendWith(ServerUnderTestExtension.class)
class QuotesIT {

    private static ServerUnderTest server;

    @BeforeAll
    static void start(ServerUnderTest configured) {
        server = configured;
    }

    private static List<String> symbolsOf(JsonObject snapshot) {
        return snapshot.getJsonArray("quotes").getValuesAs(JsonObject.class).stream()
                .map(q -> q.getString("symbol")).collect(Collectors.toList());
    }

    @Test
    void theSymbolListComesOnOpen() {
        try (QuotesClient client = QuotesClient.connect(server)) {
            assertTrue(client.symbols.size() >= 20, client.symbols.toString());
            assertTrue(client.symbols.containsAll(List.of("ACME", "GLOBEX", "INITECH")), client.symbols.toString());
            assertEquals(client.symbols.size(), new HashSet<>(client.symbols).size(), "no duplicates");
        }
    }

    @Test
    void aSubscribeGetsASnapshotThenUpdatesOfItsSymbolsOnly() {
        try (QuotesClient client = QuotesClient.connect(server)) {
            client.subscribe("GLOBEX", "ACME");
            JsonObject snapshot = client.next();
            assertEquals("snapshot", snapshot.getString("type"), "the snapshot comes first: " + snapshot);
            assertEquals(List.of("GLOBEX", "ACME"), symbolsOf(snapshot));
            Map<String, Instant> seen = new LinkedHashMap<>();
            for (JsonObject quote : snapshot.getJsonArray("quotes").getValuesAs(JsonObject.class)) {
                seen.put(quote.getString("symbol"), QuotesClient.checkQuote(quote));
            }
            Set<String> updated = new HashSet<>();
            for (int i = 0; i < 20; i++) {
                JsonObject quote = client.next();
                assertEquals("quote", quote.getString("type"), quote.toString());
                String symbol = quote.getString("symbol");
                assertTrue(seen.containsKey(symbol), "only subscribed symbols: " + quote);
                Instant ts = QuotesClient.checkQuote(quote);
                assertFalse(ts.isBefore(seen.get(symbol)), "never older than what came before: " + quote);
                seen.put(symbol, ts);
                updated.add(symbol);
            }
            assertEquals(Set.of("GLOBEX", "ACME"), updated, "both symbols move");
        }
    }

    @Test
    void afterUnsubscribedNoQuoteOfThatSymbolFollows() {
        try (QuotesClient client = QuotesClient.connect(server)) {
            client.subscribe("ACME", "GLOBEX");
            client.next("snapshot");
            client.unsubscribe("ACME", "INITECH"); // INITECH was never subscribed: ignored
            assertEquals(List.of("ACME", "INITECH"), client.next("unsubscribed").getJsonArray("symbols")
                    .getValuesAs(jakarta.json.JsonString::getString));
            // GLOBEX goes on: 20 of its ticks take about two seconds, in which ACME would tick 20 times.
            for (int i = 0; i < 20; i++) {
                JsonObject quote = client.next();
                assertEquals("quote", quote.getString("type"));
                assertEquals("GLOBEX", quote.getString("symbol"), "nothing for ACME after unsubscribed");
            }
            client.unsubscribe("GLOBEX");
            client.next("unsubscribed");
            client.subscribe("INITECH");
            assertEquals(List.of("INITECH"), symbolsOf(client.next()), "quiet between, then the new snapshot");
        }
    }

    @Test
    void theWildcardSubscribesAndUnsubscribesEverySymbol() {
        try (QuotesClient client = QuotesClient.connect(server)) {
            client.subscribe("*");
            JsonObject snapshot = client.next();
            assertEquals(client.symbols, symbolsOf(snapshot));
            Set<String> updated = new HashSet<>();
            while (updated.size() < client.symbols.size()) {
                JsonObject quote = client.next();
                assertEquals("quote", quote.getString("type"));
                QuotesClient.checkQuote(quote);
                updated.add(quote.getString("symbol"));
            }
            client.subscribe("ACME", "*");
            assertEquals(List.of(), symbolsOf(client.next("snapshot")), "nothing new to snapshot");
            client.unsubscribe("*");
            assertEquals(client.symbols, client.next("unsubscribed").getJsonArray("symbols")
                    .getValuesAs(jakarta.json.JsonString::getString));
            client.subscribe("WONKA");
            assertEquals(List.of("WONKA"), symbolsOf(client.next()));
        }
    }

    @Test
    void anUnknownSymbolIsAnErrorAndNothingOfThatRequestIsSubscribed() {
        try (QuotesClient client = QuotesClient.connect(server)) {
            client.subscribe("ACME", "NOPE");
            JsonObject error = client.next();
            assertEquals("error", error.getString("type"));
            assertEquals("invalid", error.getString("code"));
            assertTrue(error.getString("message").contains("NOPE"), error.toString());
            client.unsubscribe("GLOBEX", "ZILCH");
            assertTrue(client.next("error").getString("message").contains("ZILCH"));
            // Still open, and ACME was not subscribed: the next message is the new snapshot, not an ACME quote.
            client.subscribe("GLOBEX");
            assertEquals(List.of("GLOBEX"), symbolsOf(client.next()));
            assertEquals("GLOBEX", client.next().getString("symbol"));
        }
    }

    @Test
    void badInputGetsTheSharedErrorsAndTheConnectionStaysOpen() {
        try (QuotesClient client = QuotesClient.connect(server)) {
            Map<String, String> expected = new LinkedHashMap<>();
            expected.put("not json", "bad_json");
            expected.put("[\"subscribe\"]", "bad_json");
            expected.put("{\"type\":\"subscribe\",\"symbols\":" + "[".repeat(500) + "]".repeat(500) + "}", "bad_json");
            expected.put("{\"type\":\"buy\",\"symbols\":[\"ACME\"]}", "unknown_type");
            expected.put("{\"symbols\":[\"ACME\"]}", "invalid");
            expected.put("{\"type\":\"subscribe\"}", "invalid");
            expected.put("{\"type\":\"subscribe\",\"symbols\":\"ACME\"}", "invalid");
            expected.put("{\"type\":\"subscribe\",\"symbols\":[]}", "invalid");
            expected.put("{\"type\":\"subscribe\",\"symbols\":[42]}", "invalid");
            for (Map.Entry<String, String> entry : expected.entrySet()) {
                client.send(entry.getKey());
                JsonObject error = client.next();
                assertEquals("error", error.getString("type"), entry.getKey());
                assertEquals(entry.getValue(), error.getString("code"), entry.getKey());
                assertFalse(error.getString("message").isBlank());
            }
            client.subscribe("ACME");
            assertEquals(List.of("ACME"), symbolsOf(client.next()));
        }
    }

    @Test
    void aTooLargeRequestClosesWith1009() {
        try (QuotesClient client = QuotesClient.connect(server)) {
            // Far past the limit, so that most of it is still unread when the server decides to close.
            try {
                client.send("{\"type\":\"subscribe\",\"symbols\":[\"" + "A".repeat(8 * QuotesEndpoint.MAX_MESSAGE_BYTES) + "\"]}");
            } catch (java.util.concurrent.CompletionException closedWhileSending) {
                // The server may close before the client has written it all: that is the behaviour under test.
            }
            WsClient.Closed closed = client.ws.awaitClose();
            assertEquals(1009, closed.code(), closed.toString());
        }
    }

    @Test
    void aBinaryMessageClosesWith1003() {
        try (QuotesClient client = QuotesClient.connect(server)) {
            client.ws.send(new byte[] {1, 2, 3});
            WsClient.Closed closed = client.ws.awaitClose();
            assertEquals(1003, closed.code(), closed.toString());
        }
    }

    @Test
    void everyClientSeesTheSamePrices() {
        try (QuotesClient a = QuotesClient.connect(server); QuotesClient b = QuotesClient.connect(server)) {
            a.subscribe("HOOLI");
            a.next("snapshot");
            b.subscribe("HOOLI");
            b.next("snapshot");
            // Each tick is one frame for all subscribers: a tick b sees, a sees too, identical.
            // (A busy outbox may conflate one away; then the next tick must match.)
            int matched = 0;
            JsonObject fromA = a.next("quote");
            for (int attempt = 0; attempt < 5 && matched == 0; attempt++) {
                JsonObject fromB = b.next("quote");
                Instant target = QuotesClient.checkQuote(fromB);
                while (QuotesClient.checkQuote(fromA).isBefore(target)) {
                    fromA = a.next("quote");
                }
                if (QuotesClient.checkQuote(fromA).equals(target)) {
                    assertEquals(fromB, fromA);
                    matched++;
                }
            }
            assertEquals(1, matched, "a tick seen by both clients");
        }
    }
}
