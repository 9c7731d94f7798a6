package duplex.delivery;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One WebSocket message, already encoded. A broadcast builds one Frame and hands the same
 * instance to every member's outbox, so the JSON is written once, not once per member.
 */
public sealed interface Frame {

    /** Size counted against the outbox bound. */
    int bytes();

    static Frame text(String text) {
        return new Text(text, utf8Length(text));
    }

    /** A text frame whose UTF-8 length the caller has already counted (echo counts it for its limit). */
    static Frame text(String text, int utf8Bytes) {
        return new Text(text, utf8Bytes);
    }

    static Frame binary(byte[] data) {
        return new Binary(data);
    }

    record Text(String text, int bytes) implements Frame {
    }

    /** The array is never modified after construction; each send wraps its own view of it. */
    record Binary(byte[] data) implements Frame {
        @Override
        public int bytes() {
            return data.length;
        }

        ByteBuffer buffer() {
            return ByteBuffer.wrap(data).asReadOnlyBuffer();
        }
    }

    /** Exact UTF-8 length without encoding: a lone or split surrogate counts as its half of a pair. */
    static int utf8Length(CharSequence text) {
        int bytes = 0;
        for (int i = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isSurrogate(c)) {
                bytes += 2;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    static String preview(Frame frame) {
        if (frame instanceof Text t) {
            return t.text().length() > 40 ? t.text().substring(0, 40) + "..." : t.text();
        }
        return new String(((Binary) frame).data(), 0, Math.min(16, frame.bytes()), StandardCharsets.ISO_8859_1);
    }
}
