package duplex.chat;

import duplex.bus.Member;
import duplex.protocol.ErrorCode;
import duplex.protocol.ErrorMessage;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServerMessageEncoderTest {

    private static final Member ALICE = new Member("a1", "Alice");
    private static final Member BOB = new Member("b2", "Bob \"the <b>\"");

    private static JsonObject encode(ServerMessage message) {
        String text = new ServerMessageEncoder().encode(message);
        return Json.createReader(new StringReader(text)).readObject();
    }

    @Test
    void messageCarriesRoomSeqFromTextAndMillisecondTime() {
        ServerMessage.Message message = new ServerMessage.Message("lobby", 42, ALICE, "hello", Instant.parse("2026-11-21T22:40:30.123Z"));
        assertEquals(Json.createReader(new StringReader(
                "{\"type\":\"message\",\"room\":\"lobby\",\"seq\":42,\"from\":{\"id\":\"a1\",\"name\":\"Alice\"},"
                        + "\"text\":\"hello\",\"ts\":\"2026-11-21T22:40:30.123Z\"}")).readObject(), encode(message));
    }

    @Test
    void timestampsAlwaysHaveThreeFractionDigits() {
        assertEquals("2026-11-21T22:40:30.000Z", ServerMessageEncoder.timestamp(Instant.parse("2026-11-21T22:40:30Z")));
        assertEquals("2026-11-21T22:40:30.120Z", ServerMessageEncoder.timestamp(Instant.parse("2026-11-21T22:40:30.12Z")));
        assertEquals("2026-11-21T22:40:30.999Z", ServerMessageEncoder.timestamp(Instant.parse("2026-11-21T22:40:30.999999Z")));
    }

    @Test
    void welcomeListsYouMembersAndHistoryAndRecoveredOnlyWhenAsked() {
        ServerMessage.Message first = new ServerMessage.Message("lobby", 1, ALICE, "one", Instant.EPOCH);
        JsonObject plain = encode(new ServerMessage.Welcome("lobby", "e1", BOB, List.of(ALICE, BOB), 2, null, List.of(first), null));
        assertEquals("welcome", plain.getString("type"));
        assertEquals("lobby", plain.getString("room"));
        assertEquals("b2", plain.getJsonObject("you").getString("id"));
        assertEquals(BOB.name(), plain.getJsonObject("you").getString("name"));
        assertEquals(2, plain.getJsonArray("members").size());
        assertEquals(2, plain.getInt("memberCount"));
        assertFalse(plain.containsKey("more"), "everyone is listed");
        assertEquals("message", plain.getJsonArray("history").getJsonObject(0).getString("type"));
        assertFalse(plain.containsKey("recovered"));
        JsonObject recovered = encode(new ServerMessage.Welcome("lobby", "e1", BOB, List.of(BOB), 1, null, List.of(), true));
        assertTrue(recovered.getBoolean("recovered"));
        assertEquals(0, recovered.getJsonArray("history").size());
    }

    @Test
    void theWelcomeWrittenFromFragmentsIsTheSameJson() {
        ServerMessage.Message first = new ServerMessage.Message("lobby", 1, ALICE, "one \"quoted\"", Instant.EPOCH);
        for (Long more : new Long[] {null, 1000L}) {
            for (Boolean recovered : new Boolean[] {null, true, false}) {
                ServerMessage.Welcome welcome = new ServerMessage.Welcome("lobby", "e1", BOB, List.of(ALICE, BOB), 1002, more, List.of(first), recovered);
                String fast = ServerMessageEncoder.welcome("lobby", "e1", ServerMessageEncoder.memberJson(BOB),
                        List.of(ServerMessageEncoder.memberJson(ALICE), ServerMessageEncoder.memberJson(BOB)), 1002, more,
                        List.of(ServerMessageEncoder.toJson(first)), recovered);
                assertEquals(encode(welcome), Json.createReader(new StringReader(fast)).readObject());
            }
        }
    }

    @Test
    void aLargeRoomsWelcomeGivesTheCountAndTheCursorForTheRest() {
        JsonObject partial = encode(new ServerMessage.Welcome("big", "e1", BOB, List.of(ALICE), 5000, 1000L, List.of(), null));
        assertEquals(5000, partial.getInt("memberCount"));
        assertEquals(1000, partial.getJsonNumber("more").longValue());
        assertEquals(1, partial.getJsonArray("members").size());
    }

    @Test
    void aPageOfMembersWrittenFromFragmentsIsTheSameJson() {
        for (Long more : new Long[] {null, 2000L}) {
            String fast = ServerMessageEncoder.members(List.of(ServerMessageEncoder.memberJson(ALICE),
                    ServerMessageEncoder.memberJson(new Member("v9", "Vera", true))), 5000, more);
            JsonObject page = encode(new ServerMessage.Members(List.of(ALICE, new Member("v9", "Vera", true)), 5000, more));
            assertEquals(page, Json.createReader(new StringReader(fast)).readObject());
            assertEquals("members", page.getString("type"));
            assertEquals(more != null, page.containsKey("more"));
        }
        assertEquals("{\"type\":\"members\",\"members\":[],\"memberCount\":3}", ServerMessageEncoder.members(List.of(), 3, null));
    }

    @Test
    void onePresenceMessageCarriesATicksJoinsRenamesAndLeavesInOrder() {
        Member carol = new Member("c3", "Carol");
        assertEquals("{\"type\":\"presence\",\"joined\":[{\"id\":\"a1\",\"name\":\"Alice\"},{\"id\":\"c3\",\"name\":\"Carol\"}],"
                        + "\"renamed\":[{\"member\":{\"id\":\"c3\",\"name\":\"Caz\"},\"previous\":\"Carol\"}],"
                        + "\"left\":[{\"id\":\"a1\",\"name\":\"Alice\"}]}",
                new ServerMessageEncoder().encode(new ServerMessage.Presence(List.of(ALICE, carol),
                        List.of(new ServerMessage.Renamed(new Member("c3", "Caz"), "Carol")), List.of(ALICE))));
    }

    @Test
    void presenceAndErrors() {
        assertEquals("{\"type\":\"joined\",\"member\":{\"id\":\"a1\",\"name\":\"Alice\"}}",
                new ServerMessageEncoder().encode(new ServerMessage.Joined(ALICE)));
        assertEquals("{\"type\":\"left\",\"member\":{\"id\":\"a1\",\"name\":\"Alice\"}}",
                new ServerMessageEncoder().encode(new ServerMessage.Left(ALICE)));
        JsonObject renamed = encode(new ServerMessage.Renamed(new Member("a1", "Al"), "Alice"));
        assertEquals("renamed", renamed.getString("type"));
        assertEquals("Al", renamed.getJsonObject("member").getString("name"));
        assertEquals("Alice", renamed.getString("previous"));
        assertEquals("{\"type\":\"error\",\"code\":\"rate_limited\",\"message\":\"slow down\"}",
                new ServerMessageEncoder().encode(new ServerMessage.Error(new ErrorMessage(ErrorCode.RATE_LIMITED, "slow down"))));
    }

    @Test
    void userTextIsEscapedNotInterpreted() {
        String hostile = "\"}],\"type\":\"joined\" </script><img src=x onerror=alert(1)> \\ \n 發送數據 🚀";
        ServerMessage.Message message = new ServerMessage.Message("lobby", 1, BOB, hostile, Instant.EPOCH);
        JsonObject json = encode(message);
        assertEquals(hostile, json.getString("text"));
        assertEquals("message", json.getString("type"));
        assertEquals(BOB.name(), json.getJsonObject("from").getString("name"));
    }
}
