package duplex.protocol;

import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParserFactory;
import jakarta.json.stream.JsonParsingException;

import java.io.StringReader;
import java.util.Map;
import java.util.Optional;

/**
 * Parsing of client JSON, hardened once for every decoder: nesting depth, number sizes and
 * duplicate keys are bounded by Parsson's own limits, so hostile input costs little and fails
 * as a value, not an exception that escapes a decoder.
 */
public final class JsonText {

    /** Deep enough for any message we define, shallow enough that 10000 levels fail at once. */
    public static final int MAX_DEPTH = 16;

    private static final Map<String, Object> LIMITS = Map.of(
            "org.eclipse.parsson.maxDepth", MAX_DEPTH,
            "org.eclipse.parsson.maxBigIntegerScale", 128,
            "org.eclipse.parsson.maxBigDecimalLength", 128,
            "org.eclipse.parsson.rejectDuplicateKeys", true);
    private static final JsonParserFactory PARSERS = Jsons.createParserFactory(LIMITS);

    private JsonText() {
    }

    /** The result of parsing: an object, or the error to send back. */
    public sealed interface Parsed {
    }

    public record Valid(JsonObject object) implements Parsed {
    }

    public record Failed(ErrorMessage error) implements Parsed {
    }

    /**
     * Parses a client message that must be a JSON object with a string {@code type}. Never
     * throws for bad input: returns {@link Failed} with {@code bad_json} or {@code invalid}.
     */
    public static Parsed parseMessage(String text) {
        Parsed parsed = parseObject(text);
        if (parsed instanceof Valid valid && !(valid.object().get("type") instanceof JsonString)) {
            return new Failed(new ErrorMessage(ErrorCode.INVALID, "a message needs a string \"type\""));
        }
        return parsed;
    }

    /** Parses a JSON object with the same limits as {@link #parseMessage}, without asking for a {@code type}. */
    public static Parsed parseObject(String text) {
        JsonValue value;
        try (JsonParser parser = PARSERS.createParser(new StringReader(text))) {
            if (!parser.hasNext()) {
                return new Failed(new ErrorMessage(ErrorCode.BAD_JSON, "not valid JSON"));
            }
            parser.next();
            value = parser.getValue();
            // JsonReader stops after the first value and ignores the rest ({"a":1}{"b":2} would
            // pass); the parser's hasNext() insists on the end of the input.
            if (parser.hasNext()) {
                return new Failed(new ErrorMessage(ErrorCode.BAD_JSON, "not valid JSON: more after the value"));
            }
        } catch (JsonParsingException e) {
            return new Failed(new ErrorMessage(ErrorCode.BAD_JSON, "not valid JSON"));
        } catch (RuntimeException e) {
            // Parsson reports its limits (depth, duplicate keys, number size) with plain
            // runtime exceptions; whatever it throws, bad input must come back as a value.
            return new Failed(new ErrorMessage(ErrorCode.BAD_JSON, "JSON rejected: " + limitReason(e)));
        }
        if (!(value instanceof JsonObject object)) {
            return new Failed(new ErrorMessage(ErrorCode.BAD_JSON, "a message must be a JSON object"));
        }
        return new Valid(object);
    }

    /** A string field, if present and a string. */
    public static Optional<String> string(JsonObject object, String field) {
        return object.get(field) instanceof JsonString s ? Optional.of(s.getString()) : Optional.empty();
    }

    private static String limitReason(RuntimeException e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        // Parsson's messages can quote the input; keep what goes back to the client short.
        return message.length() > 120 ? message.substring(0, 120) : message;
    }
}
