package duplex.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import duplex.live.ChannelName;
import duplex.live.LiveMessages;
import duplex.live.LiveRequest;
import duplex.live.LiveRequestDecoder;
import duplex.protocol.ErrorCode;
import duplex.protocol.JsonText;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the /live request decoder. Properties: it never throws; a request names a channel that
 * follows the rule, a publication's data is JSON again, and the error written back for anything
 * else (with the id and channel it quotes) is a valid JSON object with a defined code.
 */
class LiveDecoderFuzzTest {

    private static final Set<ErrorCode> REJECTIONS = Set.of(ErrorCode.BAD_JSON, ErrorCode.UNKNOWN_TYPE, ErrorCode.INVALID);

    @FuzzTest(maxDuration = "20s")
    void decodeIsTotal(FuzzedDataProvider data) {
        String text = data.consumeRemainingAsString();
        LiveRequest request = LiveRequestDecoder.decode(text);
        assertNotNull(request);
        if (request instanceof LiveRequest.Subscribe s) {
            assertEquals(s.channel(), ChannelName.parse(s.channel().name()).orElseThrow());
        } else if (request instanceof LiveRequest.Unsubscribe u) {
            assertTrue(ChannelName.parse(u.channel().name()).isPresent());
        } else if (request instanceof LiveRequest.Publish p) {
            assertTrue(ChannelName.parse(p.channel().name()).isPresent());
            assertInstanceOf(JsonText.Valid.class, JsonText.parseObject("{\"type\":\"x\",\"d\":" + p.data() + "}"), p.data());
        } else {
            LiveRequest.Malformed malformed = assertInstanceOf(LiveRequest.Malformed.class, request);
            assertTrue(REJECTIONS.contains(malformed.error().code()), "code " + malformed.error().code());
            String answer = LiveMessages.error(malformed.error(), malformed.id(), malformed.channel());
            assertInstanceOf(JsonText.Valid.class, JsonText.parseMessage(answer), answer);
            assertTrue(malformed.error().message().length() <= 200, "error messages stay short");
        }
    }
}
