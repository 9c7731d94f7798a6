package duplex.chat;

import duplex.testing.ServerUnderTest;
import duplex.testing.TyrusServer;
import duplex.testing.RawWebSocket;
import duplex.testing.SilentPeer;
import duplex.testing.WsClient;
import jakarta.json.JsonObject;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Chat behaviour that depends on knobs: always on an embedded server with its own settings. */
class ChatSettingsIT {

    @Test
    void historyFollowsItsKnobAndAGapIsReportedAsNotRecovered() {
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of("duplex.chat.history", "5"));
             ChatClient alice = ChatClient.join(server, "lobby", "Alice")) {
            for (int i = 1; i <= 8; i++) {
                alice.say("m" + i);
            }
            alice.messages(8);
            try (ChatClient bob = ChatClient.join(server, "lobby", "Bob")) {
                assertEquals(List.of(4L, 5L, 6L, 7L, 8L), seqs(bob.welcome));
            }
            // Bob had seen up to 1; 2 and 3 are gone from the history: recovered is false.
            try (ChatClient bob = ChatClient.joinWith(server, "lobby", "name=Bob&since=1")) {
                assertFalse(bob.welcome.getBoolean("recovered"));
                assertEquals(List.of(4L, 5L, 6L, 7L, 8L), seqs(bob.welcome));
            }
            try (ChatClient bob = ChatClient.joinWith(server, "lobby", "name=Bob&since=3")) {
                assertTrue(bob.welcome.getBoolean("recovered"));
                assertEquals(List.of(4L, 5L, 6L, 7L, 8L), seqs(bob.welcome));
            }
        }
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of("duplex.chat.history", "0"));
             ChatClient alice = ChatClient.join(server, "lobby", "Alice")) {
            alice.say("not kept");
            alice.messages(1);
            try (ChatClient bob = ChatClient.joinWith(server, "lobby", "name=Bob&since=0")) {
                assertFalse(bob.welcome.getBoolean("recovered"));
                assertEquals(List.of(), seqs(bob.welcome));
            }
        }
    }

    @Test
    void theFrameLimitFollowsItsKnob() {
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of("duplex.chat.max-frame-chars", "4096"));
             ChatClient alice = ChatClient.join(server, "lobby", "Alice")) {
            String prefix = "{\"type\":\"say\",\"text\":\"fits\",\"pad\":\"";
            String atLimit = prefix + "p".repeat(4096 - prefix.length() - 2) + "\"}";
            assertEquals(4096, atLimit.length());
            alice.sendRaw(atLimit);
            assertEquals("fits", alice.nextOfType("message").getString("text"));
            alice.sendRaw(atLimit.replace("\"pad\":\"", "\"pad\":\"p"));
            assertEquals(1009, alice.ws.awaitClose().code());
        }
    }

    @Test
    void theRateLimitFollowsItsKnobs() {
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of(
                "duplex.rate-limit.per-second", "0.05", "duplex.rate-limit.burst", "2", "duplex.rate-limit.strikes", "3"));
             ChatClient alice = ChatClient.join(server, "lobby", "Alice")) {
            for (int i = 0; i < 6; i++) {
                alice.say("m" + i);
            }
            assertEquals("message", alice.next().getString("type"));
            assertEquals("message", alice.next().getString("type"));
            for (int i = 0; i < 3; i++) {
                assertEquals("rate_limited", alice.next().getString("code"));
            }
            WsClient.Closed closed = alice.ws.awaitClose();
            assertEquals(1008, closed.code(), "the fourth refusal in a row closes: " + closed);
            assertEquals("rate limit exceeded", closed.reason());
        }
    }

    @Test
    void withoutLingerAnEmptyRoomIsDroppedWithItsHistory() {
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of("duplex.chat.room-linger", "0"))) {
            try (ChatClient alice = ChatClient.join(server, "lobby", "Alice")) {
                alice.say("one");
                alice.say("two");
                alice.messages(2);
                assertEquals(1, server.duplex().rooms().count());
            }
            Awaitility.await().atMost(WsClient.TIMEOUT).until(() -> server.duplex().rooms().count() == 0);
            try (ChatClient bob = ChatClient.joinWith(server, "lobby", "name=Bob&since=2")) {
                assertFalse(bob.welcome.getBoolean("recovered"), "the seq Bob knew belongs to the dropped room");
                assertEquals(List.of(), seqs(bob.welcome));
                bob.say("fresh");
                assertEquals(1, bob.nextOfType("message").getJsonNumber("seq").longValue(), "a new room counts from 1");
            }
        }
    }

    @Test
    void anEmptyRoomLingersThenIsSweptAway() {
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of("duplex.chat.room-linger", "1500ms"))) {
            try (ChatClient alice = ChatClient.join(server, "lobby", "Alice")) {
                alice.say("kept");
                alice.messages(1);
            }
            // Back within the linger: the same room, the same seq, nothing lost.
            try (ChatClient alice = ChatClient.joinWith(server, "lobby", "name=Alice&since=0")) {
                assertTrue(alice.welcome.getBoolean("recovered"));
                assertEquals(List.of(1L), seqs(alice.welcome));
            }
            Awaitility.await().atMost(WsClient.TIMEOUT).until(() -> server.duplex().rooms().count() == 0);
        }
    }

    @Test
    void aLargeRoomsWelcomeListsTheFirstMembersAndTheRestComeInPages() {
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of("duplex.chat.members-page", "2"))) {
            List<ChatClient> early = new java.util.ArrayList<>();
            try {
                for (String name : List.of("A", "B", "C", "D", "E")) {
                    early.add(ChatClient.join(server, "big", name));
                }
                try (ChatClient f = ChatClient.join(server, "big", "F")) {
                    assertEquals(List.of("A", "B"), names(f.welcome));
                    assertEquals(6, f.welcome.getInt("memberCount"));
                    Map<String, String> seen = new java.util.LinkedHashMap<>();
                    f.welcome.getJsonArray("members").forEach(m -> seen.put(m.asJsonObject().getString("id"), m.asJsonObject().getString("name")));

                    JsonObject second = page(f, f.welcome.getJsonNumber("more").longValue(), seen);
                    assertEquals(List.of("C", "D"), names(second));
                    // Between two pages: C leaves, G joins. Presence tells F; the pages stay consistent.
                    early.remove(2).close();
                    ChatClient g = ChatClient.join(server, "big", "G");
                    early.add(g);
                    JsonObject third = page(f, second.getJsonNumber("more").longValue(), seen);
                    JsonObject last = third;
                    while (last.containsKey("more")) {
                        last = page(f, last.getJsonNumber("more").longValue(), seen);
                    }
                    // Whatever presence has not told F yet comes after the last page, in the next tick.
                    List<String> room = List.of("A", "B", "D", "E", "F", "G");
                    Awaitility.await().atMost(WsClient.TIMEOUT).until(() -> {
                        drainPresence(f, seen);
                        return seen.values().stream().sorted().toList().equals(room);
                    });
                    assertEquals(6, last.getInt("memberCount"));
                }
                ChatClient any = early.get(0);
                any.sendRaw("{\"type\":\"members\",\"after\":-1}");
                assertEquals("invalid", any.nextOfType("error").getString("code"));
            } finally {
                early.forEach(ChatClient::close);
            }
        }
    }

    /** Asks for the page after the cursor; applies what presence says on the way; returns the page. */
    private static JsonObject page(ChatClient client, long after, Map<String, String> seen) {
        client.sendRaw("{\"type\":\"members\",\"after\":" + after + "}");
        while (true) {
            JsonObject next = client.next();
            if (next.getString("type").equals("members")) {
                next.getJsonArray("members").forEach(m -> seen.put(m.asJsonObject().getString("id"), m.asJsonObject().getString("name")));
                return next;
            }
            apply(next, seen);
        }
    }

    private static void drainPresence(ChatClient client, Map<String, String> seen) {
        try {
            while (true) {
                apply(client.next(Duration.ofMillis(200)), seen);
            }
        } catch (AssertionError timedOut) {
            // nothing more for now
        }
    }

    private static void apply(JsonObject event, Map<String, String> seen) {
        JsonObject member = event.getJsonObject("member");
        switch (event.getString("type")) {
            case "joined", "renamed" -> seen.put(member.getString("id"), member.getString("name"));
            case "left" -> seen.remove(member.getString("id"));
            default -> { }
        }
    }

    private static List<String> names(JsonObject welcomeOrPage) {
        return welcomeOrPage.getJsonArray("members").stream().map(m -> m.asJsonObject().getString("name")).toList();
    }

    /**
     * Overload: one sender as fast as its socket goes (no rate limit), readers that keep up, and
     * peers in the room that stopped reading. Every message the room accepted reaches every
     * member that keeps up, once and in order. (That a stalled peer is then cut off with 1008
     * "slow consumer" is ChatIT's aStalledConsumerIsCutOffWhileTheOthersKeepReceiving.)
     */
    @Test
    void underOverloadEveryMemberThatKeepsUpGetsEveryAcceptedMessageInOrder() throws Exception {
        int messages = 1500;
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of(
                "duplex.rate-limit.per-second", "1000000", "duplex.rate-limit.burst", "1000000",
                "duplex.rate-limit.per-address", "10000000", "duplex.outbox.max-messages", "200",
                "duplex.memory.per-address", "1073741824", "duplex.memory.total", "1073741824"))) {
            List<ChatClient> readers = new java.util.ArrayList<>();
            List<SilentPeer> stalled = new java.util.ArrayList<>();
            try (ChatClient sender = ChatClient.join(server, "overload", "Sender")) {
                for (int i = 0; i < 20; i++) {
                    readers.add(ChatClient.join(server, "overload", "Reader" + i));
                }
                for (int i = 0; i < 3; i++) {
                    stalled.add(SilentPeer.connect(server.ws("chat/overload?name=Stalled" + i)));
                }
                String padding = "p".repeat(1000);
                for (int m = 1; m <= messages; m++) {
                    sender.say(m + " " + padding);
                }
                // What the room accepted: the sender hears each of its messages back, with its seq.
                long last = 0;
                for (int m = 1; m <= messages; m++) {
                    last = sender.nextOfType("message").getJsonNumber("seq").longValue();
                }
                long first = last - messages + 1;
                for (ChatClient reader : readers) {
                    List<Long> seqs = new java.util.ArrayList<>();
                    while (seqs.size() < messages) {
                        JsonObject next = reader.next(WsClient.TIMEOUT);
                        if (next.getString("type").equals("message")) {
                            seqs.add(next.getJsonNumber("seq").longValue());
                        }
                    }
                    assertEquals(java.util.stream.LongStream.rangeClosed(first, last).boxed().toList(), seqs,
                            "a reader that kept up got every accepted message, once, in order");
                }
            } finally {
                readers.forEach(ChatClient::close);
                for (SilentPeer peer : stalled) {
                    peer.close();
                }
            }
        }
    }

    @Test
    void pastTheRoomCapANewRoomIsRefusedWith1013() {
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of("duplex.chat.max-rooms", "1"));
             ChatClient alice = ChatClient.join(server, "one", "Alice")) {
            try (ChatClient bob = ChatClient.connect(server, "two", "name=Bob")) {
                WsClient.Closed closed = bob.ws.awaitClose();
                assertEquals(1013, closed.code());
                assertEquals("too many rooms", closed.reason());
            }
            try (ChatClient carol = ChatClient.join(server, "one", "Carol")) {
                assertEquals(2, carol.welcome.getJsonArray("members").size());
            }
        }
    }

    @Test
    void aPeerThatStopsAnsweringPingsIsFreedAndAnnouncedAsLeft() throws Exception {
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of("duplex.ping-interval", "300ms"));
             ChatClient alice = ChatClient.join(server, "lobby", "Alice");
             SilentPeer silent = SilentPeer.connect(server.ws("chat/lobby?name=Silent"))) {
            JsonObject joined = alice.nextOfType("joined");
            assertEquals("Silent", joined.getJsonObject("member").getString("name"));
            long started = System.nanoTime();
            JsonObject left = alice.next(Duration.ofSeconds(20));
            assertEquals("left", left.getString("type"));
            assertEquals(joined.getJsonObject("member"), left.getJsonObject("member"));
            System.out.printf("chat: a peer silent to pings (interval 300 ms) announced left after %d ms%n",
                    Duration.ofNanos(System.nanoTime() - started).toMillis());
            assertFalse(alice.ws.isClosed(), "Alice answers pings and stays");
            alice.say("still here");
            assertEquals("still here", alice.nextOfType("message").getString("text"));
        }
    }

    private static List<Long> seqs(JsonObject welcome) {
        return welcome.getJsonArray("history").getValuesAs(JsonObject.class).stream()
                .map(m -> m.getJsonNumber("seq").longValue()).toList();
    }

    /**
     * One client address may have created duplex.chat.max-rooms-per-address rooms that still exist
     * (lingering ones included): one more is refused, an existing room still takes it, and another
     * address is not affected. Clients from 127.0.7.x, as another host would be.
     */
    @Test
    void oneAddressMayCreateItsShareOfRoomsAndNoMore() throws Exception {
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of("duplex.chat.max-rooms-per-address", "5"))) {
            InetAddress from = InetAddress.getByName("127.0.7.2");
            for (int n = 0; n <= 5; n++) {
                URI uri = server.ws("chat/own-" + n);
                try (RawWebSocket ws = RawWebSocket.connect(uri, from)) {
                    assertEquals(101, ws.handshake(uri, Map.of()).status());
                    RawWebSocket.Frame first = ws.readFrame();
                    if (n < 5) {
                        assertTrue(first.text().startsWith("{\"type\":\"welcome\""), "room " + n + ": " + first.text());
                        ws.sendClose(1000);
                        ws.awaitClose();
                    } else {
                        assertEquals(RawWebSocket.CLOSE, first.opcode(), "the sixth room");
                        assertEquals(1013, first.closeCode());
                        assertEquals(ChatEndpoint.TOO_MANY_ROOMS_FROM_ADDRESS, first.closeReason());
                    }
                }
            }
            URI existing = server.ws("chat/own-0");
            try (RawWebSocket ws = RawWebSocket.connect(existing, from)) {
                assertEquals(101, ws.handshake(existing, Map.of()).status());
                assertTrue(ws.readFrame().text().startsWith("{\"type\":\"welcome\""), "joining a room that exists is fine");
            }
            try (ChatClient other = ChatClient.join(server, "own-5", "Other")) {
                assertEquals("welcome", other.welcome.getString("type"), "another address may create the room");
            }
        }
    }
}
