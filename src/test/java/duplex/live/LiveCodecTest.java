package duplex.live;

import duplex.bus.Member;
import duplex.protocol.ErrorCode;
import duplex.protocol.ErrorMessage;
import duplex.protocol.Jsons;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Channel names, the request decoder and the messages /live writes. */
class LiveCodecTest {

    @Test
    void channelNamesFollowTheRuleAndTheNamespaceIsBeforeTheFirstColon() {
        assertEquals(new ChannelName("news", "news"), ChannelName.parse("news").orElseThrow());
        assertEquals("comments", ChannelName.parse("comments:video42:part-1").orElseThrow().namespace());
        assertTrue(ChannelName.parse("a".repeat(64)).isPresent());
        for (String bad : new String[] {"", "a".repeat(65), "news/x", "news x", "é", "news\n", null}) {
            assertTrue(ChannelName.parse(bad).isEmpty(), String.valueOf(bad));
        }
    }

    @Test
    void requestsAreDecodedAndEverythingElseIsAnswered() {
        assertEquals(new LiveRequest.Subscribe(ChannelName.parse("news").orElseThrow(), Optional.empty()),
                LiveRequestDecoder.decode("{\"type\":\"subscribe\",\"channel\":\"news\"}"));
        assertEquals(new LiveRequest.Subscribe(ChannelName.parse("news").orElseThrow(), Optional.of(new LiveRequest.Since(41, "e1f3"))),
                LiveRequestDecoder.decode("{\"type\":\"subscribe\",\"channel\":\"news\",\"since\":{\"seq\":41,\"epoch\":\"e1f3\"}}"));
        assertEquals(new LiveRequest.Publish(ChannelName.parse("comments:v").orElseThrow(), "{\"text\":\"hi\"}", "c-17"),
                LiveRequestDecoder.decode("{\"type\":\"publish\",\"channel\":\"comments:v\",\"data\":{\"text\":\"hi\"},\"id\":\"c-17\"}"));
        assertEquals(ErrorCode.BAD_JSON, malformed("{\"type\":").error().code());
        assertEquals(ErrorCode.UNKNOWN_TYPE, malformed("{\"type\":\"jump\",\"channel\":\"news\"}").error().code());
        assertEquals("news", malformed("{\"type\":\"jump\",\"channel\":\"news\"}").channel());
        assertEquals(ErrorCode.INVALID, malformed("{\"type\":\"subscribe\"}").error().code());
        assertEquals(ErrorCode.INVALID, malformed("{\"type\":\"subscribe\",\"channel\":\"news\",\"since\":{\"seq\":1.5,\"epoch\":\"e\"}}").error().code());
        assertEquals(ErrorCode.INVALID, malformed("{\"type\":\"subscribe\",\"channel\":\"news\",\"since\":{\"seq\":1e99,\"epoch\":\"e\"}}").error().code());
        assertEquals(ErrorCode.INVALID, malformed("{\"type\":\"publish\",\"channel\":\"news\",\"id\":\"x\"}").error().code());
        assertEquals("x", malformed("{\"type\":\"publish\",\"channel\":\"news\",\"id\":\"x\"}").id());
        assertEquals(ErrorCode.INVALID, malformed("{\"type\":\"publish\",\"channel\":\"news\",\"data\":1,\"id\":\"a b\"}").error().code());
        assertEquals(ErrorCode.BAD_JSON, malformed("{\"type\":\"publish\",\"type\":\"subscribe\"}").error().code(), "duplicate keys");
    }

    private static LiveRequest.Malformed malformed(String text) {
        return assertInstanceOf(LiveRequest.Malformed.class, LiveRequestDecoder.decode(text));
    }

    private static JsonObject json(String text) {
        try (var reader = Jsons.createReader(new StringReader(text))) {
            return reader.readObject();
        }
    }

    @Test
    void messagesAreValidJsonWithTheClientsTextEscaped() {
        String nasty = "\"}<script>\u2028\\";
        JsonObject pub = json(LiveMessages.pub("comments:v", 42, "e1f3", "{\"text\":\"hi\"}", Instant.parse("2026-12-02T10:00:00Z"),
                new Member(nasty, nasty, true)));
        assertEquals(42, pub.getInt("seq"));
        assertEquals("hi", pub.getJsonObject("data").getString("text"));
        assertEquals(nasty, pub.getJsonObject("from").getString("user"));
        assertFalse(json(LiveMessages.pub("news", 1, "e", "1", Instant.EPOCH, null)).containsKey("from"));
        JsonObject subscribed = json(LiveMessages.subscribed("news", "e1f3", 41, List.of("{\"seq\":41}"), true));
        assertTrue(subscribed.getBoolean("recovered"));
        assertEquals(1, subscribed.getJsonArray("history").size());
        assertFalse(json(LiveMessages.subscribed("news", "e", 0, List.of(), null)).containsKey("recovered"));
        assertEquals("c-1", json(LiveMessages.ack("c-1", 43, "e")).getString("id"));
        assertFalse(json(LiveMessages.ack(null, 43, "e")).containsKey("id"));
        JsonObject error = json(LiveMessages.error(new ErrorMessage(ErrorCode.FORBIDDEN, "no"), nasty, "news"));
        assertEquals("forbidden", error.getString("code"));
        assertEquals(nasty, error.getString("id"));
        assertNull(json(LiveMessages.error(new ErrorMessage(ErrorCode.LIMIT, "no"), null, null)).get("channel"));
    }
}
