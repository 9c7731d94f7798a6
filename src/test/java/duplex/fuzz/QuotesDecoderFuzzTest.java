package duplex.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import duplex.protocol.ErrorCode;
import duplex.quotes.QuotesDecoder;
import duplex.quotes.QuotesRequest;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the quotes decoder. Properties: it never throws; a subscribe or unsubscribe carries 1
 * to 100 distinct symbols of at most 32 characters; anything else is Malformed with a defined
 * code and a short message.
 */
class QuotesDecoderFuzzTest {

    private static final Set<ErrorCode> REJECTIONS = Set.of(ErrorCode.BAD_JSON, ErrorCode.UNKNOWN_TYPE, ErrorCode.INVALID);

    @FuzzTest(maxDuration = "25s")
    void parseIsTotal(FuzzedDataProvider data) {
        String text = data.consumeRemainingAsString();
        QuotesRequest request = QuotesDecoder.parse(text);
        assertNotNull(request);
        List<String> symbols = request instanceof QuotesRequest.Subscribe s ? s.symbols()
                : request instanceof QuotesRequest.Unsubscribe u ? u.symbols() : null;
        if (symbols != null) {
            assertTrue(!symbols.isEmpty() && symbols.size() <= QuotesDecoder.MAX_SYMBOLS, "symbols " + symbols.size());
            assertEquals(symbols.size(), new HashSet<>(symbols).size(), "distinct symbols");
            symbols.forEach(symbol -> assertTrue(symbol.length() <= QuotesDecoder.MAX_SYMBOL_LENGTH, symbol));
        } else {
            QuotesRequest.Malformed malformed = assertInstanceOf(QuotesRequest.Malformed.class, request);
            assertTrue(REJECTIONS.contains(malformed.error().code()), "code " + malformed.error().code());
            assertTrue(malformed.error().message().length() <= 200, "error messages stay short");
        }
    }
}
