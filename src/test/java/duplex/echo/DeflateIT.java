package duplex.echo;

import duplex.app.Settings;
import duplex.testing.ServerUnderTest;
import duplex.testing.TyrusServer;
import duplex.testing.RawWebSocket;
import duplex.testing.TomcatServer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code permessage-deflate} (RFC 7692) offered the way every browser offers it: declined by
 * default on Tomcat and on Tyrus (no {@code Sec-WebSocket-Extensions} in the 101, plain frames
 * both ways); with {@code duplex.permessage-deflate=on} Tomcat negotiates it and a compressed
 * frame goes round /echo. Tyrus installs no implementation of the extension, so there the knob
 * on changes nothing (asserted, so that a Tyrus that starts negotiating it is noticed).
 */
class DeflateIT {

    /** What Chromium and Firefox send. */
    static final String BROWSER_OFFER = "permessage-deflate; client_max_window_bits";
    static final Map<String, String> OFFER = Map.of("Sec-WebSocket-Extensions", BROWSER_OFFER, "Sec-WebSocket-Protocol", "echo");
    private static final Map<String, String> ON = Map.of(Settings.PERMESSAGE_DEFLATE, "on");
    private static final int RSV1 = 0x4;

    @Test
    void tomcatDeclinesTheOfferByDefault() {
        try (TomcatServer tomcat = ServerUnderTest.tomcat(Map.of())) {
            assertDeclined(tomcat.ws("echo"));
        }
    }

    @Test
    void tomcatNegotiatesItWhenTheKnobIsOnAndCompressedFramesGoRoundEcho() throws Exception {
        try (TomcatServer tomcat = ServerUnderTest.tomcat(ON);
             RawWebSocket ws = RawWebSocket.open(tomcat.ws("echo"), OFFER)) {
            String extensions = ws.response().header("Sec-WebSocket-Extensions");
            assertTrue(extensions != null && extensions.startsWith("permessage-deflate"), "101 carried " + extensions);
            String text = "compressed both ways ".repeat(200) + "發送數據 🚀";
            ws.frame(true, RSV1, RawWebSocket.TEXT, deflate(text.getBytes(StandardCharsets.UTF_8)), true);
            RawWebSocket.Frame reply = ws.readFrame();
            assertEquals(RawWebSocket.TEXT, reply.opcode());
            assertEquals(RSV1, reply.rsv(), "the echo came back compressed");
            assertTrue(reply.payload().length < text.length() / 4, "compressed to " + reply.payload().length + " bytes");
            assertEquals(text, new String(inflate(reply.payload()), StandardCharsets.UTF_8));
            // An uncompressed frame on the same connection is allowed too (RSV1 is per message).
            ws.sendText("plain");
            assertEquals("plain", new String(payloadOf(ws.readFrame()), StandardCharsets.UTF_8));
            ws.sendClose(1000);
            assertEquals(1000, ws.awaitCloseCode());
        }
    }

    @Test
    void tyrusDeclinesTheOfferByDefault() {
        try (TyrusServer tyrus = ServerUnderTest.tyrus(Map.of())) {
            assertDeclined(tyrus.ws("echo"));
        }
    }

    @Test
    void tyrusHasNoDeflateToNegotiateEvenWithTheKnobOn() {
        try (TyrusServer tyrus = ServerUnderTest.tyrus(ON)) {
            assertDeclined(tyrus.ws("echo"));
        }
    }

    /** The offer is answered 101 without the extension, and plain frames flow both ways. */
    private static void assertDeclined(URI echo) {
        try (RawWebSocket ws = RawWebSocket.open(echo, OFFER)) {
            assertNull(ws.response().header("Sec-WebSocket-Extensions"), "101 carried " + ws.response().headers());
            assertEquals("echo", ws.response().header("Sec-WebSocket-Protocol"));
            ws.sendText("hello ".repeat(100));
            RawWebSocket.Frame reply = ws.readFrame();
            assertEquals(0, reply.rsv());
            assertEquals("hello ".repeat(100), reply.text());
            byte[] bytes = new byte[3000];
            Arrays.fill(bytes, (byte) 7);
            ws.send(RawWebSocket.BINARY, bytes);
            RawWebSocket.Frame binary = ws.readFrame();
            assertEquals(RawWebSocket.BINARY, binary.opcode());
            assertEquals(0, binary.rsv());
            assertArrayEquals(bytes, binary.payload());
            ws.sendClose(1000);
            assertEquals(1000, ws.awaitCloseCode());
        }
    }

    private static byte[] payloadOf(RawWebSocket.Frame frame) throws DataFormatException {
        return (frame.rsv() & RSV1) != 0 ? inflate(frame.payload()) : frame.payload();
    }

    /** RFC 7692 7.2.1: raw deflate, sync flush, the trailing 00 00 FF FF removed. */
    static byte[] deflate(byte[] data) {
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        deflater.setInput(data);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        int n;
        while ((n = deflater.deflate(buffer, 0, buffer.length, Deflater.SYNC_FLUSH)) > 0) {
            out.write(buffer, 0, n);
        }
        deflater.end();
        byte[] all = out.toByteArray();
        return Arrays.copyOf(all, all.length - 4);
    }

    /** RFC 7692 7.2.2: append 00 00 FF FF and inflate. */
    static byte[] inflate(byte[] payload) throws DataFormatException {
        Inflater inflater = new Inflater(true);
        byte[] input = Arrays.copyOf(payload, payload.length + 4);
        input[payload.length + 2] = (byte) 0xFF;
        input[payload.length + 3] = (byte) 0xFF;
        inflater.setInput(input);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        while (!inflater.needsInput()) {
            int n = inflater.inflate(buffer);
            if (n == 0 && inflater.needsInput()) {
                break;
            }
            out.write(buffer, 0, n);
        }
        inflater.end();
        return out.toByteArray();
    }
}
