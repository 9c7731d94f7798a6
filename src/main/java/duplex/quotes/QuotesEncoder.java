package duplex.quotes;

import duplex.protocol.Jsons;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObjectBuilder;
import jakarta.websocket.Encoder;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * Writes a {@link QuotesEvent} as JSON text. Prices and changes are decimal strings taken from
 * {@link java.math.BigDecimal#toPlainString()}, so {@code "123.40"} keeps its cents and never
 * becomes {@code 123.4} or {@code 1.234E+2}. Times are UTC with milliseconds, ending in {@code Z}.
 *
 * <p>Not registered on the endpoint: every send goes through the connection's outbox as an
 * already-encoded frame (a tick is encoded once for all subscribers), so the endpoint calls
 * {@link #toJson} directly instead of {@code sendObject}.
 */
public final class QuotesEncoder implements Encoder.Text<QuotesEvent> {

    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    @Override
    public String encode(QuotesEvent event) {
        return toJson(event);
    }

    public static String toJson(QuotesEvent event) {
        // Java 17 has no pattern switch; the interface is sealed, so this chain is complete.
        if (event instanceof QuotesEvent.Update update) {
            return fields(Jsons.createObjectBuilder().add("type", "quote"), update.quote()).build().toString();
        }
        if (event instanceof QuotesEvent.Snapshot snapshot) {
            JsonArrayBuilder quotes = Jsons.createArrayBuilder();
            snapshot.quotes().forEach(quote -> quotes.add(fields(Jsons.createObjectBuilder(), quote)));
            return Jsons.createObjectBuilder().add("type", "snapshot").add("quotes", quotes).build().toString();
        }
        if (event instanceof QuotesEvent.Symbols symbols) {
            return Jsons.createObjectBuilder().add("type", "symbols").add("symbols", strings(symbols.symbols())).build().toString();
        }
        if (event instanceof QuotesEvent.Unsubscribed unsubscribed) {
            return Jsons.createObjectBuilder().add("type", "unsubscribed").add("symbols", strings(unsubscribed.symbols())).build().toString();
        }
        return ((QuotesEvent.Error) event).error().toJson();
    }

    public static String timestamp(Instant instant) {
        return TIMESTAMP.format(instant);
    }

    private static JsonObjectBuilder fields(JsonObjectBuilder builder, Quote quote) {
        return builder
                .add("symbol", quote.symbol())
                .add("price", quote.price().toPlainString())
                .add("change", quote.signedChange())
                .add("ts", timestamp(quote.ts()));
    }

    private static JsonArrayBuilder strings(List<String> values) {
        JsonArrayBuilder array = Jsons.createArrayBuilder();
        values.forEach(array::add);
        return array;
    }
}
