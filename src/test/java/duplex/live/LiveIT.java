package duplex.live;

import duplex.bus.Member;
import duplex.testing.RawWebSocket;
import duplex.testing.ServerUnderTest;
import duplex.testing.TyrusServer;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** /live over real sockets on embedded Tyrus: channels, publications, recovery, every refusal. */
class LiveIT {

    private static TyrusServer server;
    private static final AtomicInteger names = new AtomicInteger();

    @BeforeAll
    static void start(@TempDir Path dir) throws IOException {
        // The shipped namespaces, and one that keeps presence without a login.
        Path namespaces = Files.writeString(dir.resolve("namespaces.json"), "{\"news\": {\"history\": 100},"
                + " \"comments\": {\"clientPublish\": true, \"history\": 200}, \"scores\": {\"history\": 1, \"conflate\": true},"
                + " \"rooms\": {\"presence\": true, \"authenticated\": true}, \"crowd\": {\"presence\": true}}");
        server = ServerUnderTest.tyrus(Map.of("duplex.live.max-channels-per-connection", "3",
                "duplex.live.max-publication-bytes", "256", "duplex.live.publishes-per-second", "2",
                "duplex.live.namespaces", namespaces.toString(), "duplex.chat.presence-tick", "0s", "duplex.outbox.max-messages", "200"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String fresh(String namespace) {
        return namespace + ":t" + names.incrementAndGet();
    }

    private static LiveClient client() {
        return LiveClient.connect(server.ws("live"));
    }

    /** What a backend does through the API, here straight into the channels the API uses. */
    private static Published publishAsBackend(String channel, String data) {
        return server.duplex().channels().publish(ChannelName.parse(channel).orElseThrow(),
                new Member(Channel.API_AUTHOR + "test", "test", true), data).join();
    }

    @Test
    void aSubscriberGetsEveryPublicationInSeqOrderAndTheClientsPublishIsAcked() {
        String channel = fresh("comments");
        try (LiveClient alice = client(); LiveClient bob = client()) {
            alice.subscribe(channel);
            JsonObject subscribed = alice.next("subscribed");
            assertEquals(channel, subscribed.getString("channel"));
            assertEquals(0, subscribed.getInt("seq"));
            assertEquals(List.of(), subscribed.getJsonArray("history"));
            assertFalse(subscribed.containsKey("recovered"), "no since, no recovered: " + subscribed);
            String epoch = subscribed.getString("epoch");
            bob.subscribe(channel);
            bob.next("subscribed");
            alice.publish(channel, "{\"text\":\"hello\"}", "c-1");
            for (LiveClient c : List.of(alice, bob)) {
                JsonObject pub = c.next();
                if (pub.getString("type").equals("ack")) { // the publisher's ack and pub may come in either order
                    pub = c.next("pub");
                }
                assertEquals(1, pub.getInt("seq"));
                assertEquals(epoch, pub.getString("epoch"));
                assertEquals("hello", pub.getJsonObject("data").getString("text"));
                assertTrue(pub.getJsonObject("from").containsKey("id"), "a client's publication says from whom: " + pub);
            }
            Published byBackend = publishAsBackend(channel, "{\"text\":\"from the backend\"}");
            assertEquals(2, byBackend.seq());
            JsonObject pub = bob.next("pub");
            assertEquals(2, pub.getInt("seq"));
            assertFalse(pub.containsKey("from"), "the API's publications carry no from: " + pub);
        }
    }

    @Test
    void theAckCarriesTheIdSeqAndEpoch() {
        String channel = fresh("comments");
        try (LiveClient alice = client()) {
            alice.publish(channel, "[1,2,3]", "c-9");
            JsonObject ack = alice.next("ack");
            assertEquals("c-9", ack.getString("id"));
            assertEquals(1, ack.getInt("seq"));
            assertFalse(ack.getString("epoch").isEmpty());
        }
    }

    @Test
    void sinceRecoversExactlyWhatWasMissedAndAnotherEpochIsANewStream() {
        String channel = fresh("news");
        String epoch;
        try (LiveClient first = client()) {
            first.subscribe(channel);
            epoch = first.next("subscribed").getString("epoch");
            publishAsBackend(channel, "{\"n\":1}");
            assertEquals(1, first.next("pub").getInt("seq"));
        }
        publishAsBackend(channel, "{\"n\":2}");
        publishAsBackend(channel, "{\"n\":3}");
        try (LiveClient back = client()) {
            back.subscribe(channel, 1, epoch);
            JsonObject subscribed = back.next("subscribed");
            assertTrue(subscribed.getBoolean("recovered"), subscribed.toString());
            assertEquals(3, subscribed.getInt("seq"));
            List<Integer> seqs = subscribed.getJsonArray("history").getValuesAs(JsonObject.class).stream()
                    .map(p -> p.getInt("seq")).toList();
            assertEquals(List.of(2, 3), seqs, "exactly what was missed");
        }
        try (LiveClient stranger = client()) {
            stranger.subscribe(channel, 1, "other");
            JsonObject subscribed = stranger.next("subscribed");
            assertFalse(subscribed.getBoolean("recovered"), "another epoch: a new stream, " + subscribed);
            assertEquals(3, subscribed.getJsonArray("history").size(), "with the whole history");
        }
        try (LiveClient ahead = client()) {
            ahead.subscribe(channel, 99, epoch);
            assertFalse(ahead.next("subscribed").getBoolean("recovered"), "a seq never given out is not where anyone left off");
        }
    }

    @Test
    void manyChannelsOnOneConnectionUpToTheLimitAndUnsubscribe() {
        try (LiveClient c = client()) {
            String a = fresh("news");
            String b = fresh("comments");
            String d = fresh("scores");
            for (String channel : List.of(a, b, d)) {
                c.subscribe(channel);
                assertEquals(channel, c.next("subscribed").getString("channel"));
            }
            String oneMore = fresh("news");
            c.subscribe(oneMore);
            JsonObject limit = c.next("error");
            assertEquals("limit", limit.getString("code"));
            assertEquals(oneMore, limit.getString("channel"));
            publishAsBackend(b, "{\"x\":1}");
            assertEquals(b, c.next("pub").getString("channel"));
            c.send("{\"type\":\"unsubscribe\",\"channel\":\"" + b + "\"}");
            assertEquals(b, c.next("unsubscribed").getString("channel"));
            c.send("{\"type\":\"unsubscribe\",\"channel\":\"" + b + "\"}");
            assertEquals("not_found", c.next("error").getString("code"));
            publishAsBackend(b, "{\"x\":2}");
            publishAsBackend(a, "{\"x\":3}");
            assertEquals(a, c.next("pub").getString("channel"), "nothing more from the channel left");
            c.subscribe(b);
            assertEquals(b, c.next("subscribed").getString("channel"), "the freed place can be used again");
            c.subscribe(a);
            assertEquals("invalid", c.next("error").getString("code"), "already subscribed");
        }
    }

    @Test
    void everyRefusalIsAnErrorWithItsCodeAndTheConnectionStays() {
        try (LiveClient c = client()) {
            c.publish(fresh("news"), "{}", "n-1");
            JsonObject forbidden = c.next("error");
            assertEquals("forbidden", forbidden.getString("code"));
            assertEquals("n-1", forbidden.getString("id"));
            c.subscribe("nowhere:x");
            assertEquals("not_found", c.next("error").getString("code"));
            c.subscribe(fresh("rooms"));
            assertEquals("forbidden", c.next("error").getString("code"), "rooms are for signed-in users");
            c.send("{\"type\":\"subscribe\",\"channel\":\"bad/name\"}");
            assertEquals("invalid", c.next("error").getString("code"));
            c.send("{\"type\":\"subscribe\",\"channel\":\"news\",\"since\":{\"seq\":-1,\"epoch\":\"e\"}}");
            assertEquals("invalid", c.next("error").getString("code"));
            c.send("{\"type\":\"jump\"}");
            assertEquals("unknown_type", c.next("error").getString("code"));
            c.send("{not json");
            assertEquals("bad_json", c.next("error").getString("code"));
            c.publish(fresh("comments"), "\"" + "x".repeat(300) + "\"", "big");
            JsonObject tooBig = c.next("error");
            assertEquals("too_big", tooBig.getString("code"));
            assertEquals("big", tooBig.getString("id"));
            c.send("{\"type\":\"publish\",\"channel\":\"comments:a\",\"id\":\"d\"}");
            assertEquals("invalid", c.next("error").getString("code"), "no data");
            // Still open and serving.
            String channel = fresh("comments");
            c.subscribe(channel);
            assertEquals(channel, c.next("subscribed").getString("channel"));
        }
    }

    @Test
    void publishesPastTheRateAreRefusedWithTheirIdAndNothingIsPublished() {
        String channel = fresh("comments");
        try (LiveClient c = client(); LiveClient watcher = client()) {
            watcher.subscribe(channel);
            watcher.next("subscribed");
            int acked = 0;
            int limited = 0;
            for (int i = 0; i < 8; i++) {
                c.publish(channel, "{\"i\":" + i + "}", "r-" + i);
            }
            for (int i = 0; i < 8; i++) {
                JsonObject answer = c.next();
                if (answer.getString("type").equals("ack")) {
                    acked++;
                } else {
                    assertEquals("rate_limited", answer.getString("code"), answer.toString());
                    assertTrue(answer.getString("id").startsWith("r-"));
                    limited++;
                }
            }
            assertTrue(limited > 0 && acked > 0, acked + " acked, " + limited + " limited");
            for (int seq = 1; seq <= acked; seq++) {
                assertEquals(seq, watcher.next("pub").getInt("seq"), "what was acked, gapless");
            }
        }
    }

    @Test
    void inAPresenceNamespaceSubscribersAreListedAndHearWhoComesAndGoes() {
        String channel = fresh("crowd");
        try (LiveClient alice = client()) {
            alice.subscribe(channel);
            JsonObject first = alice.next("subscribed");
            assertEquals(1, first.getInt("memberCount"), first.toString());
            String aliceId = first.getJsonArray("members").getJsonObject(0).getString("id");
            assertEquals(aliceId, alice.next("presence").getJsonArray("joined").getJsonObject(0).getString("id"));
            try (LiveClient bob = client()) {
                bob.subscribe(channel);
                JsonObject second = bob.next("subscribed");
                assertEquals(2, second.getInt("memberCount"), second.toString());
                String bobId = alice.next("presence").getJsonArray("joined").getJsonObject(0).getString("id");
                assertEquals(second.getJsonArray("members").getJsonObject(1).getString("id"), bobId);
            }
            JsonObject left = alice.next("presence");
            assertEquals(1, left.getJsonArray("left").size(), "bob's close is announced: " + left);
        }
    }

    @Test
    void aSubscriberThatStopsReadingIsCutOffAndTheOthersGetEveryPublication() throws Exception {
        String channel = fresh("news");
        String data = "{\"pad\":\"" + "p".repeat(200) + "\"}";
        int publications = 20_000; // 4.4 MB: past what the sockets buffer (loopback grows them) and the stalled one's outbox bound (200 here)
        try (RawWebSocket stalled = RawWebSocket.connect(server.ws("live"), null, 4096); LiveClient watcher = client()) {
            assertEquals(101, stalled.handshake(server.ws("live"), Map.of()).status());
            stalled.sendText("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\"}");
            watcher.subscribe(channel);
            watcher.next("subscribed");
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
                    .until(() -> server.duplex().channels().active().stream().anyMatch(c -> c.channel().equals(channel) && c.subscribers() == 2));
            // The watcher reads while the backend publishes, as a live browser does; the backend
            // stays within a few hundred of what the watcher read (a reader keeping up), while the
            // stalled one's outbox fills past its bound.
            java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(100);
            java.util.concurrent.CompletableFuture<Void> read = java.util.concurrent.CompletableFuture.runAsync(() -> {
                for (int seq = 1; seq <= publications; seq++) {
                    assertEquals(seq, watcher.next("pub").getInt("seq"), "every publication, in order, for the one that reads");
                    window.release();
                }
            });
            for (int i = 1; i <= publications; i++) {
                assertTrue(window.tryAcquire(20, java.util.concurrent.TimeUnit.SECONDS), "the reader keeps up");
                publishAsBackend(channel, data);
            }
            read.get(60, java.util.concurrent.TimeUnit.SECONDS);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() -> server.duplex().channels().active()
                    .stream().filter(c -> c.channel().equals(channel)).allMatch(c -> c.subscribers() == 1));
            assertEquals(1008, stalled.awaitCloseCode(), "the one that stopped reading is cut off, with a close after what reached it");
        }
    }

    @Test
    void aRequestLargerThanTheLimitClosesWith1009() {
        try (LiveClient c = client()) {
            c.send("{\"type\":\"publish\",\"channel\":\"comments:a\",\"data\":\"" + "y".repeat(2000) + "\"}");
            assertEquals(1009, c.ws.awaitClose().code());
        }
    }
}
