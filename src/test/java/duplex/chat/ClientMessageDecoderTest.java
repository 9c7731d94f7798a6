package duplex.chat;

import duplex.protocol.ErrorCode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClientMessageDecoderTest {

    private final ClientMessageDecoder decoder = new ClientMessageDecoder();

    private ClientMessage decode(String text) {
        assertTrue(decoder.willDecode(text), "the decoder takes every text and answers with a value");
        return decoder.decode(text);
    }

    private ErrorCode rejected(String text) {
        return assertInstanceOf(ClientMessage.Rejected.class, decode(text), text).error().code();
    }

    @Test
    void sayAndRename() {
        assertEquals(new ClientMessage.Say("hello"), decode("{\"type\":\"say\",\"text\":\"hello\"}"));
        assertEquals(new ClientMessage.Say("  padded\nand two lines\t"), decode("{\"type\":\"say\",\"text\":\"  padded\\nand two lines\\t\"}"));
        assertEquals(new ClientMessage.Rename("Bob"), decode("{\"type\":\"rename\",\"name\":\"  Bob \"}"));
        assertEquals(new ClientMessage.Say("extra fields are ignored"),
                decode("{\"type\":\"say\",\"text\":\"extra fields are ignored\",\"color\":\"red\"}"));
    }

    @Test
    void membersAsksForThePageAfterACursorThatIsANonNegativeWholeNumber() {
        assertEquals(new ClientMessage.Members(1000), decode("{\"type\":\"members\",\"after\":1000}"));
        assertEquals(new ClientMessage.Members(0), decode("{\"type\":\"members\",\"after\":0}"));
        assertEquals(new ClientMessage.Members(Long.MAX_VALUE), decode("{\"type\":\"members\",\"after\":" + Long.MAX_VALUE + "}"));
        for (String after : new String[] {"-1", "1.5", "\"1000\"", "null", "9223372036854775808", "1e999999", "[1]"}) {
            assertEquals(ErrorCode.INVALID, rejected("{\"type\":\"members\",\"after\":" + after + "}"), after);
        }
        assertEquals(ErrorCode.INVALID, rejected("{\"type\":\"members\"}"));
    }

    @Test
    void textIsOneToTwoThousandCharactersCountedAsCodePoints() {
        assertEquals(new ClientMessage.Say("x"), decode("{\"type\":\"say\",\"text\":\"x\"}"));
        String max = "x".repeat(2000);
        assertEquals(new ClientMessage.Say(max), decode("{\"type\":\"say\",\"text\":\"" + max + "\"}"));
        assertEquals(ErrorCode.INVALID, rejected("{\"type\":\"say\",\"text\":\"" + max + "x\"}"));
        String emoji = "🚀".repeat(2000); // 4000 UTF-16 units, 2000 characters
        assertEquals(new ClientMessage.Say(emoji), decode("{\"type\":\"say\",\"text\":\"" + emoji + "\"}"));
        assertEquals(ErrorCode.INVALID, rejected("{\"type\":\"say\",\"text\":\"\"}"));
        assertEquals(ErrorCode.INVALID, rejected("{\"type\":\"say\",\"text\":\" \\n \"}"));
    }

    @Test
    void textThatCouldNotBeSentOnIsInvalid() {
        assertEquals(ErrorCode.INVALID, rejected("{\"type\":\"say\",\"text\":\"half \\ud83d pair\"}"));
        assertEquals(ErrorCode.INVALID, rejected("{\"type\":\"say\",\"text\":\"\\ude80 backwards \\ud83d\"}"));
        assertEquals(ErrorCode.INVALID, rejected("{\"type\":\"say\",\"text\":\"nul \\u0000\"}"));
        assertEquals(ErrorCode.INVALID, rejected("{\"type\":\"say\",\"text\":\"escape \\u001b[31m\"}"));
        assertEquals(new ClientMessage.Say("🚀"), decode("{\"type\":\"say\",\"text\":\"\\ud83d\\ude80\"}"));
    }

    @Test
    void namesAreTrimmedOneToThirtyTwoWithoutControlCharacters() {
        assertEquals(new ClientMessage.Rename("n".repeat(32)), decode("{\"type\":\"rename\",\"name\":\"" + "n".repeat(32) + "\"}"));
        assertEquals(ErrorCode.INVALID, rejected("{\"type\":\"rename\",\"name\":\"" + "n".repeat(33) + "\"}"));
        assertEquals(ErrorCode.INVALID, rejected("{\"type\":\"rename\",\"name\":\"   \"}"));
        assertEquals(ErrorCode.INVALID, rejected("{\"type\":\"rename\",\"name\":\"a\\nb\"}"));
        assertEquals(ErrorCode.INVALID, rejected("{\"type\":\"rename\",\"name\":\"a\\u0085b\"}"));
        assertEquals(new ClientMessage.Rename("Zoë 🚀"), decode("{\"type\":\"rename\",\"name\":\"Zoë 🚀\"}"));
    }

    @Test
    void wrongTypesAreInvalid() {
        assertEquals(ErrorCode.INVALID, rejected("{\"type\":\"say\"}"));
        assertEquals(ErrorCode.INVALID, rejected("{\"type\":\"say\",\"text\":1}"));
        assertEquals(ErrorCode.INVALID, rejected("{\"type\":\"say\",\"text\":true}"));
        assertEquals(ErrorCode.INVALID, rejected("{\"type\":\"say\",\"text\":null}"));
        assertEquals(ErrorCode.INVALID, rejected("{\"type\":\"say\",\"text\":[\"a\"]}"));
        assertEquals(ErrorCode.INVALID, rejected("{\"type\":\"rename\",\"name\":{}}"));
        assertEquals(ErrorCode.INVALID, rejected("{\"type\":[\"say\"],\"text\":\"a\"}"));
        assertEquals(ErrorCode.INVALID, rejected("{\"text\":\"no type\"}"));
    }

    @Test
    void unknownTypesAreNamedBackShortAndSafe() {
        ClientMessage.Rejected unknown = assertInstanceOf(ClientMessage.Rejected.class, decode("{\"type\":\"dance\"}"));
        assertEquals(ErrorCode.UNKNOWN_TYPE, unknown.error().code());
        assertTrue(unknown.error().message().contains("dance"));
        String longType = "🚀".repeat(100);
        ClientMessage.Rejected truncated = assertInstanceOf(ClientMessage.Rejected.class,
                decode("{\"type\":\"" + longType + "\"}"));
        assertTrue(truncated.error().message().length() < 200, truncated.error().message());
        ClientMessage.Rejected broken = assertInstanceOf(ClientMessage.Rejected.class, decode("{\"type\":\"x\\ud800\"}"));
        assertTrue(broken.error().message().contains("x\uFFFD"), "a lone surrogate is not echoed: " + broken.error().message());
    }

    @Test
    void hostileJsonIsBadJsonAndFailsFast() {
        long started = System.nanoTime();
        assertEquals(ErrorCode.BAD_JSON, rejected("[".repeat(100_000)));
        assertEquals(ErrorCode.BAD_JSON, rejected("{\"type\":\"say\",\"x\":" + "{\"a\":".repeat(50_000) + "1" + "}".repeat(50_001)));
        // A short number with a huge exponent is only text until someone asks for its value, and
        // nobody does: the message is fine and costs nothing.
        assertEquals(new ClientMessage.Say("a"), decode("{\"type\":\"say\",\"text\":\"a\",\"n\":1e999999999}"));
        assertEquals(ErrorCode.BAD_JSON, rejected("{\"type\":\"say\",\"text\":\"a\",\"n\":" + "9".repeat(10_000) + "}"));
        assertEquals(ErrorCode.BAD_JSON, rejected("{\"type\":\"say\",\"text\":\"a\",\"text\":\"b\"}"));
        assertEquals(ErrorCode.BAD_JSON, rejected("not json"));
        assertEquals(ErrorCode.BAD_JSON, rejected(""));
        assertEquals(ErrorCode.BAD_JSON, rejected("null"));
        assertEquals(ErrorCode.BAD_JSON, rejected("{\"type\":\"say\",\"text\":\"unterminated}"));
        assertEquals(ErrorCode.BAD_JSON, rejected("{\"type\":\"say\"}{\"type\":\"say\"}"));
        assertTrue(System.nanoTime() - started < 5_000_000_000L, "hostile input is cheap to refuse");
    }

    @Test
    void aFrameOverTheLimitIsTooBigBeforeParsing() {
        // Without a Duplex configurator (as here) there is no limit of its own: the container's applies.
        assertInstanceOf(ClientMessage.Say.class, decode("{\"type\":\"say\",\"text\":\"fine\",\"pad\":\"" + "p".repeat(100_000) + "\"}"));
    }
}
