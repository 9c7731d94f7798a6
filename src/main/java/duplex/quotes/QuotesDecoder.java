package duplex.quotes;

import duplex.protocol.ErrorCode;
import duplex.protocol.ErrorMessage;
import duplex.protocol.JsonText;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.websocket.Decoder;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Turns a client's text into a {@link QuotesRequest}. Stateless and total: every input decodes,
 * bad input to {@link QuotesRequest.Malformed} carrying the error to send back. Whether a symbol
 * exists is not its business (the hub knows the universe); its shape is.
 *
 * <p>Not registered on the endpoint: requests arrive in parts and are put together against the
 * endpoint's byte limit first ({@code duplex.connection.Assembly}), the same on every container,
 * and the endpoint decodes the whole text with this. A container decoder would get the text only
 * after the container's own whole-message buffer, whose limit and answer differ per container.
 */
public final class QuotesDecoder implements Decoder.Text<QuotesRequest> {

    /** More symbols than any universe we serve; keeps one request's work small. */
    public static final int MAX_SYMBOLS = 100;
    /** Longer than any ticker; longer strings are refused before they reach a log or an error message. */
    public static final int MAX_SYMBOL_LENGTH = 32;

    @Override
    public QuotesRequest decode(String text) {
        return parse(text);
    }

    @Override
    public boolean willDecode(String text) {
        return true; // every text decodes, bad input to Malformed
    }

    public static QuotesRequest parse(String text) {
        JsonText.Parsed parsed = JsonText.parseMessage(text);
        if (parsed instanceof JsonText.Failed failed) {
            return new QuotesRequest.Malformed(failed.error());
        }
        JsonObject object = ((JsonText.Valid) parsed).object();
        String type = object.getString("type");
        if (!type.equals("subscribe") && !type.equals("unsubscribe")) {
            return new QuotesRequest.Malformed(new ErrorMessage(ErrorCode.UNKNOWN_TYPE,
                    "unknown type \"" + shorten(type) + "\"; expected subscribe or unsubscribe"));
        }
        Symbols symbols = symbols(object);
        if (symbols.error() != null) {
            return new QuotesRequest.Malformed(symbols.error());
        }
        return type.equals("subscribe") ? new QuotesRequest.Subscribe(symbols.list()) : new QuotesRequest.Unsubscribe(symbols.list());
    }

    /** The distinct symbols of a request, in order; or what is wrong with them. */
    private record Symbols(List<String> list, ErrorMessage error) {
        static Symbols invalid(String message) {
            return new Symbols(null, new ErrorMessage(ErrorCode.INVALID, message));
        }
    }

    private static Symbols symbols(JsonObject object) {
        JsonValue value = object.get("symbols");
        if (!(value instanceof JsonArray array)) {
            return Symbols.invalid("\"symbols\" must be an array of symbol strings, for example [\"ACME\"] or [\"*\"]");
        }
        if (array.isEmpty()) {
            return Symbols.invalid("\"symbols\" must not be empty");
        }
        if (array.size() > MAX_SYMBOLS) {
            return Symbols.invalid("at most " + MAX_SYMBOLS + " symbols per request");
        }
        Set<String> symbols = new LinkedHashSet<>();
        for (JsonValue element : array) {
            if (!(element instanceof JsonString string)) {
                return Symbols.invalid("\"symbols\" must contain only strings");
            }
            String symbol = string.getString();
            if (symbol.isEmpty() || symbol.length() > MAX_SYMBOL_LENGTH) {
                return Symbols.invalid("a symbol has 1 to " + MAX_SYMBOL_LENGTH + " characters");
            }
            symbols.add(symbol);
        }
        return new Symbols(new ArrayList<>(symbols), null);
    }

    private static String shorten(String text) {
        return text.length() > 40 ? text.substring(0, 40) + "..." : text;
    }
}
