package duplex.quotes;

import duplex.protocol.ErrorCode;
import duplex.protocol.ErrorMessage;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.StringReader;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuotesCodecTest {

    private static final Instant TS = Instant.parse("2026-11-22T00:35:25.120Z");

    private static ErrorMessage malformed(String text) {
        return assertInstanceOf(QuotesRequest.Malformed.class, new QuotesDecoder().decode(text)).error();
    }

    private static JsonObject json(String text) {
        return Json.createReader(new StringReader(text)).readObject();
    }

    @Test
    void subscribeAndUnsubscribeDecodeWithDistinctSymbolsInOrder() {
        QuotesDecoder decoder = new QuotesDecoder();
        assertTrue(decoder.willDecode("anything"), "every text decodes; bad input to Malformed");
        assertEquals(new QuotesRequest.Subscribe(List.of("GLOBEX", "ACME")),
                decoder.decode("{\"type\":\"subscribe\",\"symbols\":[\"GLOBEX\",\"ACME\",\"GLOBEX\"]}"));
        assertEquals(new QuotesRequest.Unsubscribe(List.of("*")),
                decoder.decode(" {\"symbols\":[\"*\"], \"type\":\"unsubscribe\", \"extra\":{\"ignored\":true}} "));
    }

    @ParameterizedTest
    @ValueSource(strings = {"not json", "{\"type\":\"subscribe\"", "[\"subscribe\"]", "42", "\"subscribe\"", "null",
            "", "{\"type\":\"subscribe\",\"type\":\"unsubscribe\",\"symbols\":[\"ACME\"]}"})
    void notAJsonObjectIsBadJson(String text) {
        assertEquals(ErrorCode.BAD_JSON, malformed(text).code());
    }

    @Test
    void hostileNestingAndNumbersFailCheaplyAsBadJson() {
        String deep = "{\"type\":\"subscribe\",\"symbols\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}";
        assertEquals(ErrorCode.BAD_JSON, malformed(deep).code());
        String bigNumber = "{\"type\":\"subscribe\",\"symbols\":[1e999999999]}";
        ErrorCode code = malformed(bigNumber).code();
        assertTrue(code == ErrorCode.BAD_JSON || code == ErrorCode.INVALID, code.toString());
    }

    @Test
    void unknownOrMissingTypesAreNamed() {
        ErrorMessage unknown = malformed("{\"type\":\"buy\",\"symbols\":[\"ACME\"]}");
        assertEquals(ErrorCode.UNKNOWN_TYPE, unknown.code());
        assertTrue(unknown.message().contains("\"buy\""), unknown.message());
        assertEquals(ErrorCode.UNKNOWN_TYPE, malformed("{\"type\":\"" + "x".repeat(10_000) + "\"}").code());
        assertTrue(malformed("{\"type\":\"" + "x".repeat(10_000) + "\"}").message().length() < 200,
                "a long type is not echoed whole");
        assertEquals(ErrorCode.INVALID, malformed("{\"symbols\":[\"ACME\"]}").code());
        assertEquals(ErrorCode.INVALID, malformed("{\"type\":7,\"symbols\":[\"ACME\"]}").code());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"type\":\"subscribe\"}",
            "{\"type\":\"subscribe\",\"symbols\":\"ACME\"}",
            "{\"type\":\"subscribe\",\"symbols\":null}",
            "{\"type\":\"subscribe\",\"symbols\":{\"0\":\"ACME\"}}",
            "{\"type\":\"subscribe\",\"symbols\":[]}",
            "{\"type\":\"unsubscribe\",\"symbols\":[\"ACME\",7]}",
            "{\"type\":\"unsubscribe\",\"symbols\":[\"ACME\",[\"GLOBEX\"]]}",
            "{\"type\":\"subscribe\",\"symbols\":[\"\"]}",
            "{\"type\":\"subscribe\",\"symbols\":[\"ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG\"]}"})
    void badSymbolListsAreInvalid(String text) {
        assertEquals(ErrorCode.INVALID, malformed(text).code(), text);
    }

    @Test
    void tooManySymbolsInOneRequestAreInvalid() {
        StringBuilder symbols = new StringBuilder();
        for (int i = 0; i <= QuotesDecoder.MAX_SYMBOLS; i++) {
            symbols.append(i == 0 ? "" : ",").append("\"S").append(i).append('"');
        }
        ErrorMessage error = malformed("{\"type\":\"subscribe\",\"symbols\":[" + symbols + "]}");
        assertEquals(ErrorCode.INVALID, error.code());
        assertTrue(error.message().contains(String.valueOf(QuotesDecoder.MAX_SYMBOLS)));
    }

    @Test
    void aQuoteCarriesPricesAsDecimalStringsThatKeepTheirCents() {
        Quote quote = new Quote("ACME", new BigDecimal("123.40"), new BigDecimal("0.10"), TS);
        String text = new QuotesEncoder().encode(new QuotesEvent.Update(quote));
        assertEquals("{\"type\":\"quote\",\"symbol\":\"ACME\",\"price\":\"123.40\",\"change\":\"+0.10\",\"ts\":\"2026-11-22T00:35:25.120Z\"}", text);
        JsonObject object = json(text);
        assertInstanceOf(JsonString.class, object.get("price"), "never a JSON number");
        assertInstanceOf(JsonString.class, object.get("change"));
    }

    @Test
    void changeIsSignedAndZeroHasNoSign() {
        assertEquals("-1.05", new Quote("A", new BigDecimal("9.00"), new BigDecimal("-1.05"), TS).signedChange());
        assertEquals("0.00", new Quote("A", new BigDecimal("9.00"), new BigDecimal("0.00"), TS).signedChange());
        assertEquals("+12345678901234.99", new Quote("A", new BigDecimal("9.00"), new BigDecimal("12345678901234.99"), TS).signedChange());
        // Large and tiny values stay plain decimals, never 1.2E+3 style.
        Quote big = new Quote("A", new BigDecimal("1.2E+3").setScale(2), new BigDecimal("0.00"), TS);
        assertEquals("1200.00", json(QuotesEncoder.toJson(new QuotesEvent.Update(big))).getString("price"));
    }

    @Test
    void timestampsAreUtcWithMillisecondsEndingInZ() {
        assertEquals("2026-11-22T00:35:25.000Z", QuotesEncoder.timestamp(Instant.parse("2026-11-22T00:35:25Z")));
        assertEquals("2026-11-22T00:35:25.123Z", QuotesEncoder.timestamp(Instant.parse("2026-11-22T00:35:25.123456789Z")));
    }

    @Test
    void snapshotSymbolsUnsubscribedAndErrorEncode() {
        Quote acme = new Quote("ACME", new BigDecimal("1.00"), new BigDecimal("-0.01"), TS);
        JsonObject snapshot = json(QuotesEncoder.toJson(new QuotesEvent.Snapshot(List.of(acme))));
        assertEquals("snapshot", snapshot.getString("type"));
        JsonObject first = snapshot.getJsonArray("quotes").getJsonObject(0);
        assertEquals("ACME", first.getString("symbol"));
        assertEquals("1.00", first.getString("price"));
        assertEquals("-0.01", first.getString("change"));
        assertEquals("2026-11-22T00:35:25.120Z", first.getString("ts"));
        assertEquals("{\"type\":\"snapshot\",\"quotes\":[]}", QuotesEncoder.toJson(new QuotesEvent.Snapshot(List.of())));
        assertEquals("{\"type\":\"symbols\",\"symbols\":[\"ACME\",\"GLOBEX\"]}",
                QuotesEncoder.toJson(new QuotesEvent.Symbols(List.of("ACME", "GLOBEX"))));
        assertEquals("{\"type\":\"unsubscribed\",\"symbols\":[\"ACME\"]}",
                QuotesEncoder.toJson(new QuotesEvent.Unsubscribed(List.of("ACME"))));
        JsonObject error = json(QuotesEncoder.toJson(new QuotesEvent.Error(
                new ErrorMessage(ErrorCode.INVALID, "unknown symbol \"<b>\u2028\"\""))));
        assertEquals("error", error.getString("type"));
        assertEquals("invalid", error.getString("code"));
        assertEquals("unknown symbol \"<b>\u2028\"\"", error.getString("message"), "user text survives escaping intact");
    }
}
