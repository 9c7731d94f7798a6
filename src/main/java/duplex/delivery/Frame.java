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

    /**
     * A text message. Its UTF-8 form is made once, by the first send that needs it, and shared
     * by every member's copy of a broadcast ({@link TomcatWire} writes bytes).
     */
    final class Text implements Frame {
        private final String text;
        private final int bytes;
        /** Racy but benign: two threads may both encode, to the same bytes. */
        private volatile byte[] utf8;

        Text(String text, int bytes) {
            this.text = text;
            this.bytes = bytes;
        }

        public String text() {
            return text;
        }

        @Override
        public int bytes() {
            return bytes;
        }

        byte[] utf8() {
            byte[] encoded = utf8;
            if (encoded == null) {
                encoded = text.getBytes(StandardCharsets.UTF_8);
                utf8 = encoded;
            }
            return encoded;
        }

        @Override
        public String toString() {
            return "Text[" + bytes + " bytes]";
        }
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
}
