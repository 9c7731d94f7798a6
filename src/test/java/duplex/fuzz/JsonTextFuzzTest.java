package duplex.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import duplex.protocol.ErrorCode;
import duplex.protocol.JsonText;
import jakarta.json.JsonString;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzzing of the one JSON entry point every decoder uses. The property: whatever
 * the text, {@code parseMessage} returns (never throws), a Valid result is an object with a
 * string type, and a Failed one carries a short error of a defined code (no echo of the input).
 *
 * <p>Regression mode (every {@code mvn verify}) replays the inputs under
 * {@code src/test/resources/duplex/fuzz/JsonTextFuzzTestInputs/}; with {@code JAZZER_FUZZ=1}
 * Jazzer fuzzes for {@code maxDuration} and keeps what it finds there (see docs/testing.md, Fuzzing).
 */
class JsonTextFuzzTest {

    @FuzzTest(maxDuration = "40s")
    void parseMessageNeverThrows(FuzzedDataProvider data) {
        String text = data.consumeRemainingAsString();
        JsonText.Parsed parsed = JsonText.parseMessage(text);
        assertNotNull(parsed);
        if (parsed instanceof JsonText.Valid valid) {
            assertInstanceOf(JsonString.class, valid.object().get("type"));
        } else {
            JsonText.Failed failed = assertInstanceOf(JsonText.Failed.class, parsed);
            ErrorCode code = failed.error().code();
            assertTrue(code == ErrorCode.BAD_JSON || code == ErrorCode.INVALID, "code " + code);
            assertTrue(failed.error().message().length() <= 200, "error messages stay short");
            assertNotNull(failed.error().toJson());
        }
    }
}
