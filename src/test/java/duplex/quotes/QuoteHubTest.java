package duplex.quotes;

import duplex.delivery.FakeSessions;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hub on fake sessions and a feed the test ticks by hand: the symbols message, snapshots
 * and updates, unsubscribing, conflation for a subscriber that does not read, and the feed
 * running only while someone is subscribed. Asserts on the JSON fields each peer received.
 */
class QuoteHubTest {

    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    /** A feed of fixed symbols that delivers a tick only when the test calls {@link #tick}, on the test's thread. */
    private static final class ManualFeed implements Feed {
        private final List<String> symbols;
        private final Map<String, Quote> current = new LinkedHashMap<>();
        private volatile Consumer<List<Quote>> listener;
        int starts;
        int stops;

        ManualFeed(String... symbols) {
            this.symbols = List.of(symbols);
            for (String symbol : symbols) {
                current.put(symbol, quote(symbol, "100.00"));
            }
        }

        @Override
        public List<String> symbols() {
            return symbols;
        }

        @Override
        public synchronized List<Quote> current() {
            return new ArrayList<>(current.values());
        }

        @Override
        public synchronized void start(Consumer<List<Quote>> listener) {
            if (this.listener == null) {
                this.listener = listener;
                starts++;
            }
        }

        @Override
        public synchronized void stop() {
            if (listener != null) {
                listener = null;
                stops++;
            }
        }

        @Override
        public boolean isRunning() {
            return listener != null;
        }

        /** One batch of new prices, delivered as a running feed would; none while stopped. */
        void tick(Quote... quotes) {
            Consumer<List<Quote>> to;
            synchronized (this) {
                for (Quote q : quotes) {
                    current.put(q.symbol(), q);
                }
                to = listener;
            }
            if (to != null) {
                to.accept(List.of(quotes));
            }
        }
    }

    private static Quote quote(String symbol, String price) {
        BigDecimal p = new BigDecimal(price);
        return new Quote(symbol, p, p.subtract(new BigDecimal("100.00")), T0);
    }

    private static JsonObject parse(String text) {
        try (JsonReader reader = Json.createReader(new StringReader(text))) {
            return reader.readObject();
        }
    }

    private static List<JsonObject> received(FakeSessions.Peer peer) {
        return peer.received.stream().map(QuoteHubTest::parse).collect(Collectors.toList());
    }

    private static List<String> types(FakeSessions.Peer peer) {
        return received(peer).stream().map(o -> o.getString("type")).collect(Collectors.toList());
    }

    /** The {@code quote} updates the peer received, as "SYMBOL price". */
    private static List<String> updates(FakeSessions.Peer peer) {
        return received(peer).stream().filter(o -> o.getString("type").equals("quote"))
                .map(o -> o.getString("symbol") + " " + o.getString("price")).collect(Collectors.toList());
    }

    private static List<String> strings(JsonObject message, String field) {
        return message.getJsonArray(field).getValuesAs(JsonString.class).stream().map(JsonString::getString).collect(Collectors.toList());
    }

    /** A snapshot's quotes as "SYMBOL price change". */
    private static List<String> snapshot(JsonObject message) {
        assertEquals("snapshot", message.getString("type"));
        return message.getJsonArray("quotes").stream().map(JsonValue::asJsonObject)
                .map(q -> q.getString("symbol") + " " + q.getString("price") + " " + q.getString("change")).collect(Collectors.toList());
    }

    @Test
    void aSubscriberGetsTheSymbolsThenASnapshotOfWhatItAddedThenItsUpdates() {
        ManualFeed feed = new ManualFeed("ACME", "BOLT", "CRUX");
        QuoteHub hub = new QuoteHub(feed);
        FakeSessions.Peer peer = FakeSessions.peer("10.0.0.1", null);

        QuoteHub.Subscriber subscriber = hub.join(peer.outbox);
        hub.subscribe(subscriber, List.of("ACME", "BOLT"));
        feed.tick(quote("ACME", "101.50"), quote("CRUX", "99.25"));

        List<JsonObject> got = received(peer);
        assertEquals("symbols", got.get(0).getString("type"));
        assertEquals(List.of("ACME", "BOLT", "CRUX"), strings(got.get(0), "symbols"));
        assertEquals(List.of("ACME 100.00 0.00", "BOLT 100.00 0.00"), snapshot(got.get(1)));
        assertEquals(List.of("ACME 101.50"), updates(peer), "an update of a subscribed symbol only");
        assertEquals("+1.50", got.get(2).getString("change"));

        hub.subscribe(subscriber, List.of("BOLT", "CRUX"));

        assertEquals(List.of("CRUX 99.25 -0.75"), snapshot(received(peer).get(3)),
                "the snapshot holds only the symbol added, at the price of the last tick");
        feed.tick(quote("CRUX", "98.00"), quote("BOLT", "100.10"));
        assertEquals(List.of("ACME 101.50", "CRUX 98.00", "BOLT 100.10"), updates(peer));
        assertEquals(4, hub.ticks(), "every quote of every batch counts, subscribed or not");
    }

    @Test
    void unsubscribingStopsTheUpdatesOfThoseSymbols() {
        ManualFeed feed = new ManualFeed("ACME", "BOLT");
        QuoteHub hub = new QuoteHub(feed);
        FakeSessions.Peer peer = FakeSessions.peer("10.0.0.1", null);
        QuoteHub.Subscriber subscriber = hub.join(peer.outbox);
        hub.subscribe(subscriber, List.of(QuotesRequest.ALL));

        hub.unsubscribe(subscriber, List.of("ACME"));
        feed.tick(quote("ACME", "101.00"), quote("BOLT", "102.00"));

        List<JsonObject> got = received(peer);
        assertEquals(List.of("symbols", "snapshot", "unsubscribed", "quote"), types(peer));
        assertEquals(List.of("ACME"), strings(got.get(2), "symbols"));
        assertEquals(List.of("BOLT 102.00"), updates(peer));
        assertTrue(feed.isRunning(), "still subscribed to BOLT");
    }

    @Test
    void aSubscriberThatDoesNotReadGetsOnlyTheLatestPricePerSymbol() {
        ManualFeed feed = new ManualFeed("ACME", "BOLT");
        QuoteHub hub = new QuoteHub(feed);
        FakeSessions.Peer stalled = FakeSessions.stalled("10.0.0.1", null);
        FakeSessions.Peer reading = FakeSessions.peer("10.0.0.2", null);
        QuoteHub.Subscriber slow = hub.join(stalled.outbox); // its symbols message stays on the wire
        QuoteHub.Subscriber fast = hub.join(reading.outbox);
        hub.subscribe(slow, List.of("ACME", "BOLT"));
        hub.subscribe(fast, List.of("ACME", "BOLT"));

        for (int cents = 1; cents <= 100; cents++) { // ACME up to 101.00, BOLT up to 201.00
            feed.tick(quote("ACME", BigDecimal.valueOf(10_000 + cents, 2).toPlainString()),
                    quote("BOLT", BigDecimal.valueOf(20_000 + cents, 2).toPlainString()));
        }

        assertEquals(200, updates(reading).size(), "the subscriber that reads gets every tick");
        assertEquals(List.of("symbols"), types(stalled), "nothing more got on the stalled wire");
        QuoteHub.SubscriberStats stats = hub.subscribers().get(0);
        assertEquals(2, stats.pendingUpdates(), "one waiting update per symbol, however many ticks");
        assertEquals(198, stats.conflated());
        assertEquals(198, hub.conflatedUpdates());

        stalled.catchUp();

        assertEquals(List.of("symbols", "snapshot", "quote", "quote"), types(stalled));
        assertEquals(List.of("ACME 101.00", "BOLT 201.00"), updates(stalled), "when it reads again, the current prices");
        assertEquals(0, stalled.outbox.pendingMessages());
    }

    @Test
    void anUpdateNotYetSentIsDroppedWhenItsSymbolIsUnsubscribed() {
        ManualFeed feed = new ManualFeed("ACME", "BOLT");
        QuoteHub hub = new QuoteHub(feed);
        FakeSessions.Peer stalled = FakeSessions.stalled("10.0.0.1", null);
        QuoteHub.Subscriber subscriber = hub.join(stalled.outbox);
        hub.subscribe(subscriber, List.of("ACME", "BOLT"));
        feed.tick(quote("ACME", "101.00"), quote("BOLT", "102.00"));

        hub.unsubscribe(subscriber, List.of("ACME"));
        stalled.catchUp();

        assertEquals(List.of("symbols", "snapshot", "quote", "unsubscribed"), types(stalled));
        assertEquals(List.of("BOLT 102.00"), updates(stalled), "no ACME update, neither before nor after its unsubscribed");
    }

    @Test
    void theFeedRunsOnlyWhileSomeoneIsSubscribed() {
        ManualFeed feed = new ManualFeed("ACME", "BOLT");
        QuoteHub hub = new QuoteHub(feed);
        QuoteHub.Subscriber first = hub.join(FakeSessions.peer("10.0.0.1", null).outbox);
        QuoteHub.Subscriber second = hub.join(FakeSessions.peer("10.0.0.2", null).outbox);
        assertFalse(hub.feedRunning(), "connected is not subscribed");

        hub.subscribe(first, List.of("ACME"));
        assertTrue(hub.feedRunning());
        hub.subscribe(second, List.of("ACME", "BOLT"));
        assertEquals(1, feed.starts, "started once");

        hub.leave(first);
        assertTrue(hub.feedRunning(), "the second is still subscribed");
        hub.unsubscribe(second, List.of("ACME"));
        assertTrue(hub.feedRunning(), "to BOLT");
        hub.unsubscribe(second, List.of("BOLT"));
        assertFalse(hub.feedRunning(), "nobody is subscribed to anything");
        assertEquals(1, feed.stops);

        hub.subscribe(second, List.of("BOLT"));
        assertTrue(hub.feedRunning(), "a new subscription starts it again");
        assertEquals(2, feed.starts);
        hub.leave(second);
        assertFalse(hub.feedRunning(), "the last subscriber left");
        assertEquals(2, feed.stops);
    }

    @Test
    void anUnknownSymbolFailsTheWholeSubscribe() {
        ManualFeed feed = new ManualFeed("ACME", "BOLT");
        QuoteHub hub = new QuoteHub(feed);
        FakeSessions.Peer peer = FakeSessions.peer("10.0.0.1", null);
        QuoteHub.Subscriber subscriber = hub.join(peer.outbox);

        hub.subscribe(subscriber, List.of("ACME", "NOPE"));
        feed.tick(quote("ACME", "101.00"));

        assertEquals(List.of("symbols", "error"), types(peer));
        assertEquals("invalid", received(peer).get(1).getString("code"));
        assertTrue(received(peer).get(1).getString("message").contains("NOPE"));
        assertFalse(hub.feedRunning(), "nothing was subscribed");
        assertEquals(List.of(), updates(peer));
    }
}
