package duplex.chat;

import duplex.bus.LocalBus;
import duplex.delivery.Fanout;
import duplex.delivery.FakeSessions;
import duplex.guard.MemoryBudget;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import jakarta.websocket.CloseReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One room's behaviour on fake sessions and the in-process bus, turns taken on the calling
 * thread and presence announced at once (tick zero): what a welcome carries, the order of
 * messages, recovery with {@code since}, presence, members whose outbox refuses, and the history
 * bound. Asserts on the JSON fields each peer received.
 */
class RoomTest {

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final MemoryBudget budget = new MemoryBudget(1 << 20, 1 << 24);
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<String, FakeSessions.Peer> peers = new HashMap<>();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    /** Rooms keeping {@code historyLimit} messages, joins and leaves on the calling thread, presence at once. */
    private Rooms rooms(int historyLimit) {
        return new Rooms(new Rooms.Limits(historyLimit, Duration.ofMinutes(10), 100, 100, Duration.ZERO, 1000),
                Clock.systemUTC(), scheduler, nanos -> { }, new LocalBus(), budget, Runnable::run, Fanout.INLINE);
    }

    private Participant participant(String name) {
        FakeSessions.Peer peer = FakeSessions.peer("10.0.0." + (ids.get() % 200 + 1), budget);
        Participant p = new Participant("p" + ids.incrementAndGet(), name, peer.outbox, false);
        peers.put(p.id(), peer);
        return p;
    }

    private static Rooms.Joined join(Rooms rooms, String room, Participant p, OptionalLong since) {
        Rooms.Joined[] answer = new Rooms.Joined[1];
        rooms.join(room, p, since, joined -> answer[0] = joined);
        return Objects.requireNonNull(answer[0], "answered at once (turns on the calling thread)");
    }

    private static Room in(Rooms rooms, String room, Participant p) {
        return ((Rooms.Joined.In) join(rooms, room, p, OptionalLong.empty())).room();
    }

    private static JsonObject parse(String text) {
        try (JsonReader reader = Json.createReader(new StringReader(text))) {
            return reader.readObject();
        }
    }

    /** Everything the participant's peer received, parsed. */
    private List<JsonObject> received(Participant p) {
        return peers.get(p.id()).received.stream().map(RoomTest::parse).collect(Collectors.toList());
    }

    /** The participant's received messages of one type, in order. */
    private List<JsonObject> received(Participant p, String type) {
        return received(p).stream().filter(o -> o.getString("type").equals(type)).collect(Collectors.toList());
    }

    private JsonObject welcome(Participant p) {
        JsonObject first = received(p).get(0);
        assertEquals("welcome", first.getString("type"), "the welcome comes first");
        return first;
    }

    private static List<Long> seqs(List<JsonObject> messages) {
        return messages.stream().map(m -> m.getJsonNumber("seq").longValue()).collect(Collectors.toList());
    }

    private static List<String> texts(List<JsonObject> messages) {
        return messages.stream().map(m -> m.getString("text")).collect(Collectors.toList());
    }

    private static List<String> ids(JsonObject message, String field) {
        return message.getJsonArray(field).stream().map(v -> v.asJsonObject().getString("id")).collect(Collectors.toList());
    }

    private static List<JsonObject> history(JsonObject welcome) {
        return welcome.getJsonArray("history").stream().map(JsonValue::asJsonObject).collect(Collectors.toList());
    }

    /** Posts the texts in order, each to completion (the in-process bus delivers it before say returns). */
    private static void say(Room room, Participant sender, String... texts) {
        for (String text : texts) {
            room.say(sender, text).join();
        }
    }

    @Test
    void theWelcomeListsTheMembersInJoinOrderAndTheRecentMessages() {
        Rooms rooms = rooms(50);
        Participant alice = participant("alice");
        Participant bob = participant("bob");
        Room room = in(rooms, "lobby", alice);
        in(rooms, "lobby", bob);
        say(room, alice, "one", "two");
        say(room, bob, "three");
        Participant carol = participant("carol");

        in(rooms, "lobby", carol);

        JsonObject welcome = welcome(carol);
        assertEquals("lobby", welcome.getString("room"));
        assertEquals(carol.id(), welcome.getJsonObject("you").getString("id"));
        assertEquals("carol", welcome.getJsonObject("you").getString("name"));
        assertEquals(List.of(alice.id(), bob.id(), carol.id()), ids(welcome, "members"), "everyone, the newcomer last");
        assertEquals(3, welcome.getInt("memberCount"));
        assertFalse(welcome.containsKey("more"), "the whole list fits in the welcome");
        assertEquals(List.of("one", "two", "three"), texts(history(welcome)));
        assertEquals(List.of(1L, 2L, 3L), seqs(history(welcome)));
        assertEquals(List.of(alice.id(), alice.id(), bob.id()),
                history(welcome).stream().map(m -> m.getJsonObject("from").getString("id")).collect(Collectors.toList()));
        assertFalse(welcome.containsKey("recovered"), "no since asked, no recovery answered");
        assertEquals(3, room.size());
    }

    @Test
    void theHistoryKeepsOnlyTheLastHistoryLimitMessages() {
        Rooms rooms = rooms(3);
        Participant alice = participant("alice");
        Room room = in(rooms, "lobby", alice);
        say(room, alice, "m1", "m2", "m3", "m4", "m5");
        Participant bob = participant("bob");

        in(rooms, "lobby", bob);

        assertEquals(List.of("m3", "m4", "m5"), texts(history(welcome(bob))), "the last three, oldest first");
        assertEquals(List.of(3L, 4L, 5L), seqs(history(welcome(bob))));
        assertEquals(5, room.lastSeq(), "the seq goes on counting");
    }

    @Test
    void everyMemberGetsEveryMessageWithIncreasingSeqInTheSameOrder() {
        Rooms rooms = rooms(50);
        List<Participant> members = new ArrayList<>();
        Room room = null;
        for (String name : List.of("alice", "bob", "carol")) {
            Participant p = participant(name);
            members.add(p);
            room = in(rooms, "lobby", p);
        }
        List<Long> given = new ArrayList<>();
        List<String> said = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            Participant sender = members.get(i % 3);
            String text = sender.name() + " " + i;
            said.add(text);
            given.add(room.say(sender, text).join());
        }

        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L), given, "say completes with each message's seq, counting up by one");
        for (Participant p : members) {
            List<JsonObject> messages = received(p, "message");
            assertEquals(given, seqs(messages), p.name() + " got every message once, in seq order, its own included");
            assertEquals(said, texts(messages), p.name() + " got them in the order they were said");
            for (int i = 0; i < messages.size(); i++) {
                assertEquals(members.get(i % 3).id(), messages.get(i).getJsonObject("from").getString("id"));
                assertEquals("lobby", messages.get(i).getString("room"));
            }
        }
    }

    @Test
    void sinceRecoversTheMessagesAfterTheGivenSeq() {
        Rooms rooms = rooms(50);
        Participant alice = participant("alice");
        Room room = in(rooms, "lobby", alice);
        say(room, alice, "m1", "m2", "m3", "m4", "m5");
        Participant back = participant("back");
        Participant current = participant("current");

        join(rooms, "lobby", back, OptionalLong.of(3));
        join(rooms, "lobby", current, OptionalLong.of(5));

        JsonObject recovering = welcome(back);
        assertEquals(List.of(4L, 5L), seqs(history(recovering)), "only what came after seq 3");
        assertEquals(List.of("m4", "m5"), texts(history(recovering)));
        assertTrue(recovering.getBoolean("recovered"));
        JsonObject upToDate = welcome(current);
        assertEquals(List.of(), history(upToDate), "nothing came after the last seq");
        assertTrue(upToDate.getBoolean("recovered"));
    }

    @Test
    void aSinceOfAnotherEpochIsANewStreamAndTheSameEpochRecovers() {
        Rooms rooms = rooms(50);
        Participant alice = participant("alice");
        Room room = in(rooms, "lobby", alice);
        say(room, alice, "m1", "m2", "m3");
        String epoch = welcome(alice).getString("epoch");
        assertFalse(epoch.isEmpty());
        Participant stranger = participant("stranger");
        Participant back = participant("back");
        Rooms.Joined[] answers = new Rooms.Joined[2];
        rooms.join("lobby", stranger, OptionalLong.of(2), "another", joined -> answers[0] = joined);
        rooms.join("lobby", back, OptionalLong.of(2), epoch, joined -> answers[1] = joined);
        JsonObject fresh = welcome(stranger);
        assertFalse(fresh.getBoolean("recovered"), "a seq of another run of the room is not where it left off");
        assertEquals(List.of(1L, 2L, 3L), seqs(history(fresh)), "the whole history");
        JsonObject recovering = welcome(back);
        assertTrue(recovering.getBoolean("recovered"));
        assertEquals(List.of(3L), seqs(history(recovering)));
        assertEquals(epoch, recovering.getString("epoch"));
    }

    @Test
    void aSeqTheRoomNeverGaveOutGetsTheWholeHistoryNotRecovered() {
        Rooms rooms = rooms(50);
        Participant alice = participant("alice");
        Room room = in(rooms, "lobby", alice);
        say(room, alice, "m1", "m2", "m3");
        Participant fromBefore = participant("from-before");

        // A seq past the room's last: the room was dropped and started again since.
        join(rooms, "lobby", fromBefore, OptionalLong.of(99));

        JsonObject welcome = welcome(fromBefore);
        assertEquals(List.of(1L, 2L, 3L), seqs(history(welcome)), "everything the room has");
        assertFalse(welcome.getBoolean("recovered"), "the client is told it missed what it cannot get back");
    }

    @Test
    void aSinceOlderThanTheHistoryGetsWhatIsLeftNotRecovered() {
        Rooms rooms = rooms(3);
        Participant alice = participant("alice");
        Room room = in(rooms, "lobby", alice);
        say(room, alice, "m1", "m2", "m3", "m4", "m5");
        Participant late = participant("late");

        join(rooms, "lobby", late, OptionalLong.of(1)); // m2 has left the history

        JsonObject welcome = welcome(late);
        assertEquals(List.of(3L, 4L, 5L), seqs(history(welcome)));
        assertFalse(welcome.getBoolean("recovered"), "m2 is missing");
        Participant inTime = participant("in-time");
        join(rooms, "lobby", inTime, OptionalLong.of(2)); // everything after 2 is still there
        assertEquals(List.of(3L, 4L, 5L), seqs(history(welcome(inTime))));
        assertTrue(welcome(inTime).getBoolean("recovered"));
    }

    @Test
    void aJoinAndALeaveAreAnnouncedToTheOthers() {
        Rooms rooms = rooms(50);
        Participant alice = participant("alice");
        Participant bob = participant("bob");
        Room room = in(rooms, "lobby", alice);

        in(rooms, "lobby", bob);

        List<JsonObject> alicePresence = received(alice, "presence");
        assertEquals(2, alicePresence.size(), "her own join, then bob's: " + alicePresence);
        assertEquals(List.of(bob.id()), ids(alicePresence.get(1), "joined"));
        assertEquals("bob", alicePresence.get(1).getJsonArray("joined").getJsonObject(0).getString("name"));
        assertEquals(List.of(), ids(alicePresence.get(1), "left"));
        assertEquals("welcome", received(bob).get(0).getString("type"), "bob's welcome before any presence");

        assertTrue(room.rename(bob, "robert"));
        JsonObject renamed = received(alice, "presence").get(2).getJsonArray("renamed").getJsonObject(0);
        assertEquals(bob.id(), renamed.getJsonObject("member").getString("id"));
        assertEquals("robert", renamed.getJsonObject("member").getString("name"));
        assertEquals("bob", renamed.getString("previous"));

        int bobHad = peers.get(bob.id()).received.size();
        rooms.leave(room, bob);

        List<JsonObject> after = received(alice, "presence");
        assertEquals(4, after.size());
        assertEquals(List.of(bob.id()), ids(after.get(3), "left"));
        assertEquals(List.of(), ids(after.get(3), "joined"));
        assertEquals(bobHad, peers.get(bob.id()).received.size(), "the one who left hears nothing more");
        assertEquals(1, room.size());
    }

    @Test
    void aMemberWhoseOutboxRefusesIsTakenOutAndAnnouncedAsLeft() {
        Rooms rooms = rooms(50);
        Participant alice = participant("alice");
        Participant bob = participant("bob");
        Participant carol = participant("carol");
        Room room = in(rooms, "lobby", alice);
        in(rooms, "lobby", bob);
        in(rooms, "lobby", carol);
        bob.outbox().close(new CloseReason(CloseReason.CloseCodes.GOING_AWAY, "closing")); // his close handshake has not reached the room

        say(room, alice, "hello");

        assertEquals(2, room.size(), "bob is out at once, without waiting for his close");
        for (Participant stays : List.of(alice, carol)) {
            assertEquals(List.of("hello"), texts(received(stays, "message")));
            List<JsonObject> presence = received(stays, "presence");
            assertEquals(List.of(bob.id()), ids(presence.get(presence.size() - 1), "left"), stays.name() + " is told bob left");
        }
        assertTrue(texts(received(bob, "message")).isEmpty());
        assertEquals(0L, room.say(bob, "still here?").join(), "a member taken out cannot post");
        assertEquals(List.of("hello"), texts(received(alice, "message")));
        rooms.leave(room, bob); // his close arrives later: nothing more happens
        assertEquals(2, room.size());
        assertEquals(1, received(alice, "presence").stream().filter(p -> !p.getJsonArray("left").isEmpty()).count(),
                "his departure is announced once");
    }

    @Test
    void aJoinerWhoseOutboxRefusesTheWelcomeIsNotLetIn() {
        Rooms rooms = rooms(50);
        Participant alice = participant("alice");
        Room room = in(rooms, "lobby", alice);
        int aliceHad = peers.get(alice.id()).received.size();
        Participant closing = participant("closing");
        closing.outbox().close(new CloseReason(CloseReason.CloseCodes.GOING_AWAY, "closing"));

        Rooms.Joined answer = join(rooms, "lobby", closing, OptionalLong.empty());

        assertEquals(Rooms.Refusal.CLOSING, assertInstanceOf(Rooms.Joined.Refused.class, answer).why());
        assertEquals(1, room.size());
        assertEquals(aliceHad, peers.get(alice.id()).received.size(), "nobody is told of a join that did not happen");
        say(room, alice, "hi");
        assertEquals(List.of(), peers.get(closing.id()).received);
    }
}
