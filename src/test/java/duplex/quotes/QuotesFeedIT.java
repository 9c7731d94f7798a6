package duplex.quotes;

import duplex.testing.ServerUnderTest;
import duplex.testing.TyrusServer;
import duplex.testing.WsClient;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * /quotes behaviour that needs its own settings (a fast feed) or looks inside the server (the
 * feed's thread, the outboxes): always on an embedded server of its own.
 */
class QuotesFeedIT {

    private static final System.Logger LOG = System.getLogger(QuotesFeedIT.class.getName());
    private static final Duration WAIT = Duration.ofSeconds(120);

    private static long feedThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith(QuoteHub.FEED_THREAD)).count();
    }

    private static QuoteHub.SubscriberStats stats(TyrusServer server, int symbols) {
        return server.duplex().quotes().subscribers().stream().filter(s -> s.symbols() == symbols).findFirst()
                .orElseThrow(() -> new AssertionError("the stalled client is gone (closed by the heartbeat after two ping intervals?)"));
    }

    /** A client that stops reading at 1000 ticks per second per symbol (the rate: -Dquotes.conflation.rate). */
    @Test
    void aStalledClientCostsOneUpdatePerSymbolAndCatchesUpOnCurrentPrices() {
        int rate = Integer.getInteger("quotes.conflation.rate", 1000);
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of("duplex.quotes.ticks-per-second", String.valueOf(rate)));
             QuotesClient stalled = QuotesClient.connect(server);
             QuotesClient reader = QuotesClient.connect(server)) {
            QuoteHub hub = server.duplex().quotes();
            int symbols = stalled.symbols.size();
            stalled.subscribe("*");
            stalled.next("snapshot");
            reader.subscribe("ACME");
            reader.next("snapshot");
            stalled.ws.stopReading();
            long ticksAtStall = hub.ticks();
            Instant stalledAt = Instant.now();

            // Wait until the socket buffers are full and the server has been replacing updates for a while.
            int maxPendingUpdates = 0;
            int maxPendingMessages = 0;
            long maxPendingBytes = 0;
            long deadline = System.nanoTime() + WAIT.toNanos();
            // Measuring by hand: -Dquotes.conflation.rate=100 -Dquotes.conflation.target=40000 keeps it stalled longer
            // (not past two ping intervals, 60 s: the heartbeat then closes it as dead).
            long conflatedTarget = Long.getLong("quotes.conflation.target", 5L * rate);
            QuoteHub.SubscriberStats now = stats(server, symbols);
            while (now.conflated() < conflatedTarget) {
                assertTrue(System.nanoTime() < deadline, "no conflation within " + WAIT + ": " + now);
                maxPendingUpdates = Math.max(maxPendingUpdates, now.pendingUpdates());
                maxPendingMessages = Math.max(maxPendingMessages, now.pendingMessages());
                maxPendingBytes = Math.max(maxPendingBytes, now.pendingBytes());
                // The reader is not held up by the stalled client: its quotes are current.
                JsonObject quote = reader.next("quote");
                Duration age = Duration.between(QuotesClient.checkQuote(quote), Instant.now());
                assertTrue(age.compareTo(Duration.ofSeconds(5)) < 0, "the reader is behind by " + age);
                now = stats(server, symbols);
            }
            long ticksDuringStall = hub.ticks() - ticksAtStall;
            LOG.log(System.Logger.Level.INFO, "stalled client at {0} ticks/s/symbol for {1} ms: {2} ticks, {3} conflated; max pending: {4} updates, {5} messages, {6} bytes",
                    rate, Duration.between(stalledAt, Instant.now()).toMillis(), ticksDuringStall, now.conflated(),
                    maxPendingUpdates, maxPendingMessages, maxPendingBytes);
            assertTrue(maxPendingUpdates <= symbols, "at most one pending update per symbol, saw " + maxPendingUpdates);
            assertTrue(maxPendingMessages <= symbols + 1, "those and one on the wire, saw " + maxPendingMessages);
            assertFalse(stalled.ws.isClosed(), "a stalled quotes client is conflated, not cut off");

            // Resume: after what the socket buffers held, every symbol arrives at a current price,
            // and no symbol ever goes back to an older one.
            Instant resumedAt = Instant.now();
            stalled.ws.resumeReading();
            Map<String, Instant> newest = new HashMap<>();
            Set<String> fresh = new java.util.HashSet<>();
            int read = 0;
            while (fresh.size() < symbols) {
                JsonObject quote = stalled.next("quote");
                read++;
                String symbol = quote.getString("symbol");
                Instant ts = QuotesClient.checkQuote(quote);
                Instant before = newest.put(symbol, ts);
                assertTrue(before == null || !ts.isBefore(before), "stale after newer for " + symbol);
                if (!ts.isBefore(resumedAt.minusMillis(100))) {
                    fresh.add(symbol);
                }
            }
            LOG.log(System.Logger.Level.INFO, "after resuming: {0} messages read until all {1} symbols were current ({2} ticks happened during the stall)",
                    read, symbols, ticksDuringStall);
            // Without conflation every tick of the stall would have to be read before a current
            // price (and the outbox bound would have cut the client off long before).
            assertTrue(read < ticksDuringStall, "the backlog was conflated: read " + read + " for " + ticksDuringStall + " ticks");
            assertTrue(hub.conflatedUpdates() >= now.conflated(), "the hub counts every client's conflated updates");
        }
    }

    @Test
    void theFeedThreadRunsOnlyWhileSomeoneIsSubscribedAndIsGoneAfterShutdown() {
        await().atMost(WAIT).until(() -> feedThreads() == 0); // none left by earlier suites
        TyrusServer server = ServerUnderTest.tyrus(Map.of());
        try (QuotesClient client = QuotesClient.connect(server); QuotesClient other = QuotesClient.connect(server)) {
            QuoteHub hub = server.duplex().quotes();
            assertFalse(hub.feedRunning());
            assertEquals(0, feedThreads(), "connected but not subscribed: no feed");

            client.subscribe("ACME");
            client.next("snapshot");
            assertTrue(hub.feedRunning());
            assertEquals(1, feedThreads());
            other.subscribe("*");
            other.next("snapshot");
            assertEquals(1, feedThreads(), "one feed for everybody");

            client.unsubscribe("ACME");
            client.next("unsubscribed");
            assertEquals(1, feedThreads(), "still one subscriber");
            other.ws.close(1000, "bye");
            other.ws.awaitClose();
            await().atMost(WAIT).until(() -> !hub.feedRunning() && feedThreads() == 0);

            client.subscribe("GLOBEX");
            client.next("snapshot");
            client.next("quote");
            assertEquals(1, feedThreads(), "the feed restarts for a new subscriber");

            server.close();
            assertEquals(1001, client.ws.awaitClose().code());
            await().atMost(WAIT).pollInterval(10, TimeUnit.MILLISECONDS).until(() -> feedThreads() == 0);
            assertFalse(hub.feedRunning());
        } finally {
            server.close();
        }
    }

    @Test
    void requestsPastTheRateLimitAreRefusedAndAClientThatKeepsOnIsClosed() {
        // A bucket of 2 that practically never refills, and 3 strikes: the outcome does not
        // depend on how fast this machine sends.
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of("duplex.rate-limit.per-second", "0.01",
                "duplex.rate-limit.burst", "2", "duplex.rate-limit.strikes", "3"));
             QuotesClient client = QuotesClient.connect(server)) {
            client.subscribe("ACME");
            client.next("snapshot");
            client.send("not json"); // bad requests count too
            assertEquals("bad_json", client.next("error").getString("code"));
            for (int strike = 1; strike <= 3; strike++) {
                client.subscribe("GLOBEX");
                JsonObject error = client.next("error");
                assertEquals("rate_limited", error.getString("code"), error.toString());
            }
            assertFalse(client.ws.isClosed(), "three strikes are tolerated");
            // Strikes are forgiven at one per second, so on a slow machine it may take a few more.
            for (int more = 0; more < 50 && !client.ws.isClosed(); more++) {
                client.subscribe("GLOBEX");
                WsClient.Event event = client.ws.next();
                if (event instanceof WsClient.Text text && !text.text().contains("\"type\":\"quote\"")) {
                    assertEquals("rate_limited", QuotesClient.parse(text.text()).getString("code"), text.text());
                }
            }
            WsClient.Closed closed = client.ws.awaitClose();
            assertEquals(1008, closed.code(), closed.toString());
            assertEquals("rate limit exceeded", closed.reason());
        }
    }

    @Test
    void subscribersAfterShutdownGetNothingAndStartNoThread() {
        TyrusServer server = ServerUnderTest.tyrus(Map.of());
        QuoteHub hub = server.duplex().quotes();
        server.close();
        assertEquals(List.of(), hub.subscribers());
        assertFalse(hub.feedRunning());
        assertEquals(0, feedThreads());
        server.close(); // twice is harmless
        assertEquals(0, hub.subscribers().stream().map(QuoteHub.SubscriberStats::sessionId).collect(Collectors.toList()).size());
    }
}
