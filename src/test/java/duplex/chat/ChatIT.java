package duplex.chat;

import duplex.testing.ServerUnderTest;
import duplex.testing.ServerUnderTestExtension;
import duplex.testing.TyrusServer;
import duplex.testing.SilentPeer;
import duplex.testing.WsClient;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * /chat/{room} over real sockets, default settings only: it runs on embedded Tyrus by default and
 * unchanged on the server -Dduplex.server names or a deployed server given -Dduplex.baseUrl.
 * Every test uses rooms of its own.
 */
@ExtendWith(ServerUnderTestExtension.class)
class ChatIT {

    private static final String TIMESTAMP = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z";

    private static ServerUnderTest server;

    @BeforeAll
    static void start(ServerUnderTest configured) {
        server = configured;
    }

    /** A room no other test (or earlier run against the same server) uses. */
    private static String room(String purpose) {
        return purpose + "-" + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    }

    private static ChatClient join(String room, String name) {
        return ChatClient.join(server, room, name);
    }

    /**
     * A staff room without credentials is never an upgrade, however the path is written: Tomcat
     * maps a trailing slash, {@code //} and {@code ;x=1} to the same room (the guard answers 401
     * with the login challenge), Payara and standalone Tyrus map none of them (404) or refuse (403).
     */
    /**
     * A client may send right after its handshake, before its welcome (the room takes the join in
     * its own turn): those messages are taken, after the welcome, in order.
     */
    @Test
    void messagesSentBeforeTheWelcomeAreTakenInOrderAfterIt() {
        URI uri = server.ws("chat/early?name=Eager");
        try (duplex.testing.RawWebSocket raw = duplex.testing.RawWebSocket.connect(uri)) {
            assertEquals(101, raw.handshake(uri, java.util.Map.of()).status());
            for (int i = 0; i < 10; i++) {
                raw.sendText("{\"type\":\"say\",\"text\":\"early " + i + "\"}");
            }
            JsonObject welcome = ChatClient.parse(raw.readFrame().text());
            assertEquals("welcome", welcome.getString("type"));
            List<String> texts = new ArrayList<>();
            while (texts.size() < 10) {
                JsonObject next = ChatClient.parse(raw.readFrame().text());
                if (next.getString("type").equals("message")) {
                    texts.add(next.getString("text"));
                }
            }
            assertEquals(java.util.stream.IntStream.range(0, 10).mapToObj(i -> "early " + i).toList(), texts);
        }
    }

    /** Connections that close right after their handshake, their joins perhaps still queued, leave no member behind. */
    @Test
    void aCloseRightAfterTheHandshakeLeavesNoMemberBehind() {
        URI uri = server.ws("chat/gone-at-once?name=Ghost");
        for (int i = 0; i < 5; i++) {
            try (duplex.testing.RawWebSocket raw = duplex.testing.RawWebSocket.connect(uri)) {
                assertEquals(101, raw.handshake(uri, java.util.Map.of()).status());
                raw.sendClose(1000);
                raw.awaitClose();
            }
        }
        org.awaitility.Awaitility.await("the ghosts gone").atMost(WsClient.TIMEOUT).until(() -> {
            try (ChatClient probe = ChatClient.join(server, "gone-at-once", "Probe")) {
                return probe.welcome.getInt("memberCount") == 1;
            }
        });
    }


    @Test
    void aStaffRoomIsNeverOpenToAnonymousUsersHoweverThePathIsWritten() {
        for (String path : List.of("chat/staff-ops/", "chat/staff-ops/?name=mallory", "chat//staff-ops", "chat/staff-ops;x=1",
                "chat/./staff-ops", "chat/staff-ops")) {
            URI uri = URI.create(server.ws("").toString() + path);
            try (duplex.testing.RawWebSocket raw = duplex.testing.RawWebSocket.connect(uri)) {
                int status = raw.handshake(uri, java.util.Map.of()).status();
                assertNotEquals(101, status, path + " was upgraded without credentials");
                assertTrue(status == 401 || status == 403 || status == 404, path + " answered " + status);
            }
        }
    }

    @Test
    void welcomeComesFirstWithYouMembersAndHistory() {
        String room = room("welcome");
        try (ChatClient alice = join(room, "Alice")) {
            JsonObject welcome = alice.welcome;
            assertEquals(room, welcome.getString("room"));
            assertEquals("Alice", welcome.getJsonObject("you").getString("name"));
            assertFalse(alice.id().isEmpty());
            assertEquals(1, welcome.getJsonArray("members").size());
            assertEquals(0, welcome.getJsonArray("history").size());
            assertFalse(welcome.containsKey("recovered"), "recovered only answers a since");
            alice.say("one");
            alice.say("two");
            alice.say("three");
            alice.messages(3);
            try (ChatClient bob = join(room, "Bob")) {
                JsonObject bobs = bob.welcome;
                assertEquals(List.of("Alice", "Bob"), names(bobs.getJsonArray("members")));
                assertEquals(bob.id(), bobs.getJsonArray("members").getJsonObject(1).getString("id"));
                List<JsonObject> history = bobs.getJsonArray("history").getValuesAs(JsonObject.class);
                assertEquals(List.of("one", "two", "three"), history.stream().map(m -> m.getString("text")).toList());
                assertEquals(List.of(1L, 2L, 3L), history.stream().map(m -> m.getJsonNumber("seq").longValue()).toList());
                assertEquals("message", history.get(0).getString("type"));
                assertEquals(alice.id(), history.get(0).getJsonObject("from").getString("id"));
                JsonObject joined = alice.next();
                assertEquals("joined", joined.getString("type"));
                assertEquals(bob.id(), joined.getJsonObject("member").getString("id"));
                assertEquals("Bob", joined.getJsonObject("member").getString("name"));
            }
        }
    }

    @Test
    void historyKeepsTheLastFiftyOldestFirst() {
        String room = room("history");
        try (ChatClient alice = join(room, "Alice"); ChatClient bob = join(room, "Bob")) {
            // Two senders, each within the default burst of 40.
            for (int i = 1; i <= 30; i++) {
                alice.say("a" + i);
            }
            alice.messages(30);
            for (int i = 1; i <= 25; i++) {
                bob.say("b" + i);
            }
            alice.messages(25);
            try (ChatClient carol = join(room, "Carol")) {
                List<JsonObject> history = carol.welcome.getJsonArray("history").getValuesAs(JsonObject.class);
                assertEquals(50, history.size());
                assertEquals(6, history.get(0).getJsonNumber("seq").longValue());
                assertEquals(55, history.get(49).getJsonNumber("seq").longValue());
                assertEquals("a6", history.get(0).getString("text"));
                assertEquals("b25", history.get(49).getString("text"));
            }
        }
    }

    @Test
    void theSenderReceivesItsOwnMessageWithSeqFromAndTime() {
        String room = room("own");
        try (ChatClient alice = join(room, "Alice"); ChatClient bob = join(room, "Bob")) {
            alice.say("hello <img src=x onerror=alert(1)> \"quoted\" 發送數據 🚀\nsecond line");
            for (ChatClient member : List.of(alice, bob)) {
                JsonObject message = member.nextOfType("message");
                assertEquals(room, message.getString("room"));
                assertEquals(1, message.getJsonNumber("seq").longValue());
                assertEquals(alice.id(), message.getJsonObject("from").getString("id"));
                assertEquals("Alice", message.getJsonObject("from").getString("name"));
                assertEquals("hello <img src=x onerror=alert(1)> \"quoted\" 發送數據 🚀\nsecond line", message.getString("text"));
                assertTrue(message.getString("ts").matches(TIMESTAMP), message.getString("ts"));
            }
        }
    }

    @Test
    void joinRenameAndLeaveAreAnnounced() {
        String room = room("presence");
        try (ChatClient alice = join(room, "Alice")) {
            ChatClient bob = join(room, "Bob");
            JsonObject joined = alice.next();
            assertEquals("joined", joined.getString("type"));
            bob.rename("  Robert  ");
            for (ChatClient member : List.of(alice, bob)) {
                JsonObject renamed = member.next();
                assertEquals("renamed", renamed.getString("type"));
                assertEquals(bob.id(), renamed.getJsonObject("member").getString("id"));
                assertEquals("Robert", renamed.getJsonObject("member").getString("name"), "names are trimmed");
                assertEquals("Bob", renamed.getString("previous"));
            }
            bob.say("as Robert");
            assertEquals("Robert", alice.next().getJsonObject("from").getString("name"));
            bob.close();
            JsonObject left = alice.next();
            assertEquals("left", left.getString("type"));
            assertEquals(bob.id(), left.getJsonObject("member").getString("id"));
            assertEquals("Robert", left.getJsonObject("member").getString("name"));
        }
    }

    @Test
    void anAbruptDisconnectFreesTheMemberAndAnnouncesLeft() {
        String room = room("abrupt");
        try (ChatClient alice = join(room, "Alice")) {
            ChatClient bob = join(room, "Bob");
            alice.nextOfType("joined");
            bob.ws.socket().abort(); // no close frame: the TCP connection just ends
            // Tyrus and Tomcat report the vanished peer at once. Payara sometimes does not; then
            // the heartbeat finds it, within two ping intervals (30 s each by default).
            Duration within = server instanceof TyrusServer ? WsClient.TIMEOUT : Duration.ofSeconds(90);
            long deadline = System.nanoTime() + within.toNanos();
            JsonObject left = alice.next(within);
            while (!left.getString("type").equals("left")) {
                left = alice.next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            }
            assertEquals(bob.id(), left.getJsonObject("member").getString("id"));
            try (ChatClient carol = join(room, "Carol")) {
                assertEquals(List.of("Alice", "Carol"), names(carol.welcome.getJsonArray("members")));
            }
        }
    }

    @Test
    void twoPeopleMayShareANameAndAMissingNameBecomesAGuest() {
        String room = room("names");
        try (ChatClient one = join(room, "Sam"); ChatClient two = join(room, "Sam");
             ChatClient guest = ChatClient.joinWith(server, room, "")) {
            assertNotEquals(one.id(), two.id());
            assertEquals("Sam", two.welcome.getJsonObject("you").getString("name"));
            assertTrue(guest.welcome.getJsonObject("you").getString("name").matches("guest-\\d{4}"),
                    guest.welcome.toString());
        }
        try (ChatClient zoe = join(room, "Zoë 發 🚀")) {
            assertEquals("Zoë 發 🚀", zoe.welcome.getJsonObject("you").getString("name"));
        }
    }

    @Test
    void invalidRoomsNamesAndSinceAreRefusedWith1008() {
        String[] rooms = {"bad.room", "x".repeat(33), "semi%3Bcolon", "sp%20ace", "%C3%A9t%C3%A9"};
        for (String room : rooms) {
            try (ChatClient client = ChatClient.connect(server, room, "name=Alice")) {
                WsClient.Closed closed = client.ws.awaitClose();
                assertEquals(1008, closed.code(), room);
                assertEquals("invalid room name", closed.reason(), room);
            }
        }
        String room = room("refuse");
        String[] queries = {"name=%20%20", "name=" + "x".repeat(33), "name=a%01b", "name=" + ChatClient.encode("a\nb"),
                "name=Alice&since=abc", "name=Alice&since=-1"};
        for (String query : queries) {
            try (ChatClient client = ChatClient.connect(server, room, query)) {
                WsClient.Closed closed = client.ws.awaitClose();
                assertEquals(1008, closed.code(), query);
                assertTrue(closed.reason().startsWith("invalid"), query + ": " + closed.reason());
            }
        }
        try (ChatClient ok = join("Valid_room-" + "x".repeat(21), "x".repeat(32))) {
            assertEquals(32, ok.welcome.getJsonObject("you").getString("name").length());
        }
    }

    /** Issue 14, finding 7: names that hide, reorder the page or counterfeit the verified mark. */
    static final String[] IMPERSONATING_NAMES = {
            "alice\u200B", "\u200B", "\u202Eecila", "\u0430lice\u2066", "alice \u2713", "\u2066", "\uFEFF", "\u3164",
            "alice\u2800", "!!!",
    };

    @Test
    void impersonatingNamesAreRefusedAtOpenAndOnRename() {
        String room = room("impersonate");
        for (String name : IMPERSONATING_NAMES) {
            try (ChatClient client = ChatClient.connect(server, room, "name=" + ChatClient.encode(name))) {
                WsClient.Closed closed = client.ws.awaitClose();
                assertEquals(1008, closed.code(), name);
                assertEquals("invalid name", closed.reason(), name);
            }
        }
        try (ChatClient alice = join(room, "Alice"); ChatClient bob = join(room, "Bob")) {
            alice.nextOfType("joined");
            for (String name : IMPERSONATING_NAMES) {
                bob.rename(name);
                JsonObject error = bob.next();
                assertEquals("error", error.getString("type"), error.toString());
                assertEquals("invalid", error.getString("code"));
                assertEquals(Names.NAME_RULE, error.getString("message"));
            }
            // A name in decomposed form is taken, and used in NFC.
            bob.rename("Jose\u0301");
            for (ChatClient member : List.of(alice, bob)) {
                JsonObject renamed = member.nextOfType("renamed");
                assertEquals("Jos\u00e9", renamed.getJsonObject("member").getString("name"));
            }
            assertEquals(0, alice.ws.backlog(), "nobody heard of the refused names");
        }
    }

    @Test
    void everyBadRequestGetsItsErrorAndTheSessionCarriesOn() {
        String room = room("errors");
        String longText = "x".repeat(Names.MAX_TEXT + 1);
        String[][] cases = {
                {"hello", "bad_json"},
                {"{\"type\":\"say\",", "bad_json"},
                {"[1,2]", "bad_json"},
                {"{\"type\":\"say\",\"text\":\"a\"}{\"type\":\"say\",\"text\":\"b\"}", "bad_json"},
                {"\"say\"", "bad_json"},
                {"{\"type\":\"dance\"}", "unknown_type"},
                {"{\"type\":\"SAY\",\"text\":\"hi\"}", "unknown_type"},
                {"{}", "invalid"},
                {"{\"type\":7}", "invalid"},
                {"{\"type\":\"say\"}", "invalid"},
                {"{\"type\":\"say\",\"text\":42}", "invalid"},
                {"{\"type\":\"say\",\"text\":null}", "invalid"},
                {"{\"type\":\"say\",\"text\":{\"a\":1}}", "invalid"},
                {"{\"type\":\"say\",\"text\":\"\"}", "invalid"},
                {"{\"type\":\"say\",\"text\":\"   \"}", "invalid"},
                {"{\"type\":\"say\",\"text\":\"" + longText + "\"}", "invalid"},
                {"{\"type\":\"say\",\"text\":\"broken \\ud800 half\"}", "invalid"},
                {"{\"type\":\"say\",\"text\":\"bell \\u0007\"}", "invalid"},
                {"{\"type\":\"rename\"}", "invalid"},
                {"{\"type\":\"rename\",\"name\":\"   \"}", "invalid"},
                {"{\"type\":\"rename\",\"name\":\"" + "n".repeat(33) + "\"}", "invalid"},
                {"{\"type\":\"rename\",\"name\":[\"Bob\"]}", "invalid"},
                {"{\"type\":\"say\",\"text\":\"" + "[".repeat(5000) + "\"}", "invalid"},
                {"{\"type\":\"say\",\"x\":" + "[".repeat(5000) + "]".repeat(5000) + "}", "bad_json"},
                {"{\"type\":\"say\",\"text\":\"dup\",\"text\":\"dup\"}", "bad_json"},
                {"{\"type\":\"say\",\"text\":\"n\",\"n\":1" + "0".repeat(3000) + "e99999999}", "bad_json"},
        };
        try (ChatClient alice = join(room, "Alice"); ChatClient bob = join(room, "Bob")) {
            alice.nextOfType("joined");
            int sent = 0;
            for (String[] c : cases) {
                alice.sendRaw(c[0]);
                JsonObject error = alice.next();
                assertEquals("error", error.getString("type"), c[0]);
                assertEquals(c[1], error.getString("code"), "for " + abbreviate(c[0]) + ": " + error);
                assertFalse(error.getString("message").isEmpty());
                // Stay under the rate limit: pause after each burst of requests.
                if (++sent % 15 == 0) { // an error and a message per case: 30 requests
                    awaitTokens();
                }
                alice.say("still here " + sent);
                assertEquals("still here " + sent, alice.next().getString("text"));
            }
            // Bob saw none of the errors: only Alice's good messages, in order.
            for (int i = 1; i <= cases.length; i++) {
                JsonObject message = bob.next();
                assertEquals("message", message.getString("type"));
                assertEquals("still here " + i, message.getString("text"));
            }
            assertEquals(0, bob.ws.backlog());
        }
    }

    @Test
    void tooFastIsRateLimitedAndTheSessionCarriesOn() {
        String room = room("rate");
        try (ChatClient alice = join(room, "Alice"); ChatClient bob = join(room, "Bob")) {
            alice.nextOfType("joined");
            int burst = 70; // more than the default burst of 40, fewer than 40 refusals on top
            for (int i = 0; i < burst; i++) {
                alice.say("burst " + i);
            }
            int accepted = 0;
            int limited = 0;
            for (int i = 0; i < burst; i++) {
                JsonObject reply = alice.next();
                if (reply.getString("type").equals("error")) {
                    assertEquals("rate_limited", reply.getString("code"));
                    limited++;
                } else {
                    assertEquals("message", reply.getString("type"));
                    accepted++;
                }
            }
            assertTrue(limited > 0, "some of " + burst + " messages at once were refused");
            assertTrue(accepted >= 40, "the burst of 40 went through: " + accepted);
            // Bob received exactly the accepted ones, and nothing about the refusals.
            assertEquals(accepted, bob.messages(accepted).size());
            awaitTokens();
            alice.say("after the pause");
            assertEquals("after the pause", alice.nextOfType("message").getString("text"));
            assertEquals("after the pause", bob.nextOfType("message").getString("text"));
            assertFalse(alice.ws.isClosed());
        }
    }

    @Test
    void aClientThatKeepsFloodingIsClosedWith1008() {
        String room = room("flood");
        try (ChatClient flooder = join(room, "Flooder"); ChatClient bob = join(room, "Bob")) {
            // Far faster than the 20/s allowed, but each message waits for its answer (accepted or
            // rate_limited) before the next: when the server closes, nothing of ours is left
            // unread on its side. A client that wrote on regardless would make the server close a
            // socket with unread data, the kernel would answer with a reset, and the reset could
            // discard the close frame before the client read it (seen as 1006).
            for (int i = 0; i < 2000; i++) {
                try {
                    flooder.say("flood " + i);
                } catch (RuntimeException e) {
                    break; // the server closed us while we were sending
                }
                WsClient.Event answer = flooder.ws.next();
                if (answer instanceof WsClient.Closed || answer instanceof WsClient.Error) {
                    break;
                }
            }
            WsClient.Closed closed = flooder.ws.awaitClose();
            assertEquals(1008, closed.code());
            assertEquals("rate limit exceeded", closed.reason());
            JsonObject left = bob.nextOfType("left");
            assertEquals(flooder.id(), left.getJsonObject("member").getString("id"));
            bob.say("bob is fine");
            assertEquals("bob is fine", bob.nextOfType("message").getString("text"));
        }
    }

    @Test
    void sinceRecoversWhatWasMissedDuringABriefDisconnect() {
        String room = room("recover");
        try (ChatClient alice = join(room, "Alice")) {
            ChatClient bob = join(room, "Bob");
            alice.say("1");
            alice.say("2");
            alice.messages(2);
            long lastSeen = bob.messages(2).get(1).getJsonNumber("seq").longValue();
            bob.close();
            alice.say("3");
            alice.say("4");
            // Once Alice has her own 3 and 4 back, both are in the room's history.
            assertEquals(List.of("3", "4"), alice.messages(2).stream().map(m -> m.getString("text")).toList());
            try (ChatClient back = ChatClient.joinWith(server, room, "name=Bob&since=" + lastSeen)) {
                assertTrue(back.welcome.getBoolean("recovered"));
                List<JsonObject> history = back.welcome.getJsonArray("history").getValuesAs(JsonObject.class);
                assertEquals(List.of("3", "4"), history.stream().map(m -> m.getString("text")).toList());
                assertEquals(List.of(3L, 4L), history.stream().map(m -> m.getJsonNumber("seq").longValue()).toList());
            }
            try (ChatClient upToDate = ChatClient.joinWith(server, room, "name=Bob&since=4")) {
                assertTrue(upToDate.welcome.getBoolean("recovered"));
                assertEquals(0, upToDate.welcome.getJsonArray("history").size());
            }
            try (ChatClient fromStart = ChatClient.joinWith(server, room, "name=Bob&since=0")) {
                assertTrue(fromStart.welcome.getBoolean("recovered"));
                assertEquals(4, fromStart.welcome.getJsonArray("history").size());
            }
            // A seq this room never reached (the room was dropped and began again): not recovered.
            try (ChatClient stranger = ChatClient.joinWith(server, room, "name=Bob&since=999")) {
                assertFalse(stranger.welcome.getBoolean("recovered"));
                assertEquals(4, stranger.welcome.getJsonArray("history").size());
            }
        }
    }

    @Test
    void aTwoThousandCharacterTextFitsEvenFullyEscapedAndAHugeFrameCloses1009() {
        String room = room("frame");
        // 2000 emoji, each written as a JSON surrogate-pair escape: 24000 characters on the wire,
        // three times Tomcat's default whole-message buffer.
        String escaped = "\\ud83d\\ude80".repeat(Names.MAX_TEXT);
        try (ChatClient alice = join(room, "Alice")) {
            alice.sendRaw("{\"type\":\"say\",\"text\":\"" + escaped + "\"}");
            JsonObject message = alice.next();
            assertEquals("message", message.getString("type"), message.toString());
            assertEquals("🚀".repeat(Names.MAX_TEXT), message.getString("text"));
            alice.sendRaw("{\"type\":\"say\",\"text\":\"" + "x".repeat(40_000) + "\"}");
            int code = alice.ws.awaitClose().code();
            if (server instanceof TyrusServer) {
                assertEquals(1009, code);
            } else {
                // Known gap: Tomcat closes at its whole-message buffer with the rest of the frame
                // unread, the kernel answers with a reset, and the client may lose the 1009 (1006).
                // /echo and /quotes assemble frames themselves and read the rest while closing;
                // chat still relies on the container's buffer for its decoder.
                assertTrue(code == 1009 || code == 1006, "closed with " + code);
            }
        }
    }

    @Test
    void fiftyMembersAllSeeAThousandMessagesInTheSameOrder() throws Exception {
        String room = room("fifty");
        int members = 50;
        int perMember = 20; // 50 x 20 = 1000, each sender within the default burst of 40
        List<ChatClient> clients = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int i = 0; i < members; i++) {
                clients.add(join(room, "member" + i));
            }
            long started = System.nanoTime();
            List<Future<?>> senders = new ArrayList<>();
            for (int i = 0; i < members; i++) {
                ChatClient sender = clients.get(i);
                int id = i;
                senders.add(pool.submit(() -> {
                    for (int m = 0; m < perMember; m++) {
                        sender.say(id + ":" + m);
                    }
                }));
            }
            for (Future<?> sender : senders) {
                sender.get(WsClient.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
            // Delivered = in the client's receive queue (besides presence messages, a few per member).
            for (int i = 0; i < members; i++) {
                int expected = members * perMember;
                ChatClient client = clients.get(i);
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
                        .until(() -> client.ws.backlog() >= expected);
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            System.out.printf("chat: %d members x %d messages delivered (%d frames) in %d ms%n",
                    members, members * perMember, members * members * perMember, millis);
            List<Future<List<String>>> receivers = new ArrayList<>();
            for (ChatClient client : clients) {
                receivers.add(pool.submit(() -> client.messages(members * perMember).stream()
                        .map(m -> m.getJsonNumber("seq").longValue() + "|" + m.getJsonObject("from").getString("id")
                                + "|" + m.getString("text"))
                        .collect(Collectors.toList())));
            }
            List<List<String>> seen = new ArrayList<>();
            for (Future<List<String>> receiver : receivers) {
                seen.add(receiver.get(60, TimeUnit.SECONDS));
            }
            List<String> reference = seen.get(0);
            long firstSeq = Long.parseLong(reference.get(0).split("\\|")[0]);
            for (int i = 0; i < reference.size(); i++) {
                assertEquals(firstSeq + i, Long.parseLong(reference.get(i).split("\\|", 2)[0]), "seq counts up by one");
            }
            for (int i = 1; i < members; i++) {
                assertEquals(reference, seen.get(i), "member " + i + " saw the same messages in the same order");
            }
            // Each sender's messages keep their order within the room's order.
            for (int s = 0; s < members; s++) {
                String prefix = s + ":";
                List<String> own = reference.stream().map(r -> r.split("\\|", 3)[2]).filter(t -> t.startsWith(prefix)).toList();
                List<String> expected = new ArrayList<>();
                for (int m = 0; m < perMember; m++) {
                    expected.add(prefix + m);
                }
                assertEquals(expected, own);
            }
        } finally {
            pool.shutdownNow();
            clients.forEach(ChatClient::close);
        }
    }

    @Test
    void aStalledConsumerIsCutOffWhileTheOthersKeepReceiving() throws Exception {
        String room = room("stalled");
        // Many senders, each far under its own rate limit: together they fill the stalled peer's
        // socket and outbox quickly, even on Payara, whose buffers hold about 10 MB.
        int senders = 24;
        String text = "s".repeat(Names.MAX_TEXT - 20);
        List<ChatClient> members = new ArrayList<>();
        ExecutorService pool = Executors.newCachedThreadPool();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong sent = new AtomicLong();
        AtomicLong peakPending = new AtomicLong();
        try {
            for (int i = 0; i < senders; i++) {
                members.add(join(room, "sender" + i));
            }
            ChatClient watcher = members.get(0);
            // A peer that completes the handshake and never reads again, with a small TCP window:
            // the server's sends to it stop completing, and its outbox grows.
            try (SilentPeer stalled = SilentPeer.connect(server.ws("chat/" + room + "?name=Stalled"))) {
                String stalledId = watcher.nextMatching(m -> m.getString("type").equals("joined")
                        && m.getJsonObject("member").getString("name").equals("Stalled"), "Stalled joining")
                        .getJsonObject("member").getString("id");
                long started = System.nanoTime();
                // Each sender paces itself far under the default limit (a burst of 20, then at most
                // about 6/s), sleeping after each message rather than catching up: a loaded server
                // may read a sender's messages in bunches, and none may ever look like a flood.
                List<Future<?>> running = new ArrayList<>();
                for (ChatClient sender : members) {
                    running.add(pool.submit(() -> {
                        for (int m = 0; !stop.get(); m++) {
                            sender.say(m + " " + text);
                            sent.incrementAndGet();
                            if (m >= 20) {
                                TimeUnit.MILLISECONDS.sleep(150);
                            }
                        }
                        return null;
                    }));
                }
                if (server instanceof TyrusServer tyrus) {
                    running.add(pool.submit(() -> {
                        while (!stop.get()) {
                            peakPending.accumulateAndGet(tyrus.duplex().connections().pendingBytes("chat"), Math::max);
                            TimeUnit.MILLISECONDS.sleep(5);
                        }
                        return null;
                    }));
                }
                // Every other member sees the stalled one leave, and until then keeps receiving.
                List<Future<Long>> readers = new ArrayList<>();
                for (ChatClient member : members) {
                    readers.add(pool.submit(() -> {
                        long received = 0;
                        while (true) {
                            JsonObject m = member.next(Duration.ofSeconds(60));
                            if (m.getString("type").equals("message")) {
                                received++;
                            } else if (m.getString("type").equals("left")
                                    && m.getJsonObject("member").getString("id").equals(stalledId)) {
                                return received;
                            }
                        }
                    }));
                }
                long receivedByWatcher = readers.get(0).get(120, TimeUnit.SECONDS);
                long cutMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                long sentAtCut = sent.get();
                for (Future<Long> reader : readers) {
                    assertTrue(reader.get(60, TimeUnit.SECONDS) > 0);
                }
                // After the cut-off the others go on receiving.
                long seqBefore = -1;
                for (int round = 0; round < 5; round++) {
                    long seq = watcher.nextOfType("message").getJsonNumber("seq").longValue();
                    assertTrue(seq > seqBefore);
                    seqBefore = seq;
                }
                stop.set(true);
                for (Future<?> f : running) {
                    f.get(30, TimeUnit.SECONDS);
                }
                System.out.printf("chat: stalled consumer cut off after %d ms; %d messages of about %d bytes sent by then,"
                                + " %d received by a live member; peak bytes queued in all chat outboxes %d%n",
                        cutMillis, sentAtCut, text.length() + 100, receivedByWatcher, peakPending.get());
                // Reading again, the stalled peer finds what had reached its socket, then the close.
                SilentPeer.Drained drained = stalled.drainUntilClose();
                System.out.printf("chat: the stalled peer had %d messages waiting in its socket, then close %d \"%s\"%n",
                        drained.dataFrames(), drained.closeCode(), drained.closeReason());
                if (server instanceof TyrusServer tyrus) {
                    assertEquals(1008, drained.closeCode());
                    assertEquals("slow consumer", drained.closeReason());
                    long bound = tyrus.duplex().settings().outboxMaxBytes();
                    assertTrue(peakPending.get() <= bound + (senders + 1) * 16L * (text.length() + 200),
                            "memory stayed bounded: peak " + peakPending.get());
                    long after = tyrus.duplex().connections().pendingBytes("chat");
                    assertTrue(after < bound / 4, "the stalled outbox was freed: " + after);
                } else {
                    // A deployed container may give up the close handshake towards a peer that
                    // did not read and just end the connection (1006). On a loaded machine a
                    // container with large buffers (Payara) may let the dead-peer rule come first:
                    // the silent peer answers no pings either (1001 "ping timeout").
                    boolean cut = drained.closeCode() == 1008 || drained.closeCode() == 1006
                            || (drained.closeCode() == 1001 && "ping timeout".equals(drained.closeReason()));
                    assertTrue(cut, drained.toString());
                }
            }
        } finally {
            stop.set(true);
            pool.shutdownNow();
            members.forEach(ChatClient::close);
        }
    }

    /** Waits long enough for the default bucket (20/s) to refill completely. */
    private static void awaitTokens() {
        try {
            TimeUnit.MILLISECONDS.sleep(2100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static List<String> names(jakarta.json.JsonArray members) {
        return members.getValuesAs(JsonObject.class).stream().map(m -> m.getString("name")).toList();
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }
}
