package duplex.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import duplex.chat.ClientMessage;
import duplex.chat.ClientMessageDecoder;
import duplex.chat.Names;
import duplex.protocol.ErrorCode;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the chat decoder. Properties: it never throws; a say carries a text that passes the
 * chat rules; a rename a valid nickname; anything else is rejected with a defined error code and
 * a short message (an answer never grows with the input).
 */
class ChatDecoderFuzzTest {

    private static final Set<ErrorCode> REJECTIONS = Set.of(ErrorCode.BAD_JSON, ErrorCode.UNKNOWN_TYPE, ErrorCode.INVALID);

    @FuzzTest(maxDuration = "35s")
    void decodeIsTotal(FuzzedDataProvider data) {
        String text = data.consumeRemainingAsString();
        ClientMessage message = ClientMessageDecoder.decodeMessage(text);
        assertNotNull(message);
        if (message instanceof ClientMessage.Say say) {
            assertTrue(Names.textProblem(say.text()).isEmpty(), "a say that breaks the text rules: " + say.text());
        } else if (message instanceof ClientMessage.Rename rename) {
            assertEquals(Names.nickname(rename.name()).orElse(null), rename.name());
        } else {
            ClientMessage.Rejected rejected = assertInstanceOf(ClientMessage.Rejected.class, message);
            assertTrue(REJECTIONS.contains(rejected.error().code()), "code " + rejected.error().code());
            assertTrue(rejected.error().message().length() <= 200, "error messages stay short");
        }
    }
}
