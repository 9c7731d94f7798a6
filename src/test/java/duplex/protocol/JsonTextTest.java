package duplex.protocol;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

class JsonTextTest {

    private static ErrorCode failure(String text) {
        return assertInstanceOf(JsonText.Failed.class, JsonText.parseMessage(text)).error().code();
    }

    @Test
    void anObjectWithAStringTypeIsValid() {
        JsonText.Valid valid = assertInstanceOf(JsonText.Valid.class, JsonText.parseMessage("{\"type\":\"say\",\"text\":\"hi\"}"));
        assertEquals("say", JsonText.string(valid.object(), "type").orElseThrow());
    }

    @Test
    void notJsonOrNotAnObjectIsBadJson() {
        assertEquals(ErrorCode.BAD_JSON, failure("hello"));
        assertEquals(ErrorCode.BAD_JSON, failure("{\"type\":"));
        assertEquals(ErrorCode.BAD_JSON, failure("[1,2,3]"));
        assertEquals(ErrorCode.BAD_JSON, failure("\"text\""));
        assertEquals(ErrorCode.BAD_JSON, failure("42"));
        assertEquals(ErrorCode.BAD_JSON, failure(""));
        assertEquals(ErrorCode.BAD_JSON, failure("{\"type\":\"say\"}{\"type\":\"say\"}"));
        assertEquals(ErrorCode.BAD_JSON, failure("{\"type\":\"say\"} trailing"));
        assertEquals(ErrorCode.INVALID, failure(" {} \n"), "whitespace around the value is fine");
    }

    @Test
    void aMissingOrNonStringTypeIsInvalid() {
        assertEquals(ErrorCode.INVALID, failure("{}"));
        assertEquals(ErrorCode.INVALID, failure("{\"type\":42}"));
        assertEquals(ErrorCode.INVALID, failure("{\"type\":null}"));
    }

    @Test
    void hostileJsonFailsFastAsAValue() {
        String deep = "[".repeat(10_000) + "]".repeat(10_000);
        assertEquals(ErrorCode.BAD_JSON, failure(deep));
        String deepObject = "{\"type\":\"say\",\"x\":" + "{\"a\":".repeat(10_000) + "1" + "}".repeat(10_001);
        assertEquals(ErrorCode.BAD_JSON, failure(deepObject));
        assertEquals(ErrorCode.BAD_JSON, failure("{\"type\":\"say\",\"type\":\"rename\"}"));
    }
}
