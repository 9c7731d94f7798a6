package duplex.quotes;

import duplex.testing.ServerUnderTest;
import duplex.testing.WsClient;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;

import java.io.StringReader;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A {@code /quotes} client for tests: JSON in and out over a {@link WsClient}, with the checks every quote must pass. */
final class QuotesClient implements AutoCloseable {

    static final Pattern PRICE = Pattern.compile("\\d+\\.\\d{2}");
    static final Pattern CHANGE = Pattern.compile("(\\+\\d+\\.\\d{2}|-\\d+\\.\\d{2}|0\\.00)");

    final WsClient ws;
    final List<String> symbols;

    private QuotesClient(WsClient ws) {
        this.ws = ws;
        JsonObject first = next();
        assertEquals("symbols", first.getString("type"), "the first message is the symbol list: " + first);
        this.symbols = first.getJsonArray("symbols").getValuesAs(JsonString::getString);
    }

    static QuotesClient connect(ServerUnderTest server) {
        return new QuotesClient(WsClient.connect(server.ws("quotes")));
    }

    void send(String text) {
        ws.send(text);
    }

    void subscribe(String... symbols) {
        send(request("subscribe", symbols));
    }

    void unsubscribe(String... symbols) {
        send(request("unsubscribe", symbols));
    }

    static String request(String type, String... symbols) {
        var array = Json.createArrayBuilder();
        for (String symbol : symbols) {
            array.add(symbol);
        }
        return Json.createObjectBuilder().add("type", type).add("symbols", array).build().toString();
    }

    JsonObject next() {
        return parse(ws.nextText());
    }

    /** The next message of a type; quotes before it are checked and skipped, anything else fails. */
    JsonObject next(String type) {
        while (true) {
            JsonObject message = next();
            String actual = message.getString("type");
            if (actual.equals(type)) {
                return message;
            }
            assertEquals("quote", actual, "expected " + type + " (or quotes before it), got " + message);
            checkQuote(message);
        }
    }

    static JsonObject parse(String text) {
        return Json.createReader(new StringReader(text)).readObject();
    }

    /** A quote's fields: a known shape, prices as decimal strings, a UTC time. */
    static Instant checkQuote(JsonObject quote) {
        assertInstanceOf(JsonString.class, quote.get("price"), "price is a string: " + quote);
        assertInstanceOf(JsonString.class, quote.get("change"), "change is a string: " + quote);
        assertTrue(PRICE.matcher(quote.getString("price")).matches(), "price " + quote);
        assertTrue(CHANGE.matcher(quote.getString("change")).matches(), "change " + quote);
        String ts = quote.getString("ts");
        assertTrue(ts.endsWith("Z"), "ts in UTC: " + quote);
        return Instant.parse(ts);
    }

    @Override
    public void close() {
        ws.close();
    }
}
