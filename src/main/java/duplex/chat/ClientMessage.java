package duplex.chat;

import duplex.protocol.ErrorMessage;

/**
 * What a chat client sends, as decoded by {@link ClientMessageDecoder}. A message that could not
 * be accepted is a value too ({@link Rejected}), so decoding never throws and the endpoint
 * answers it with its error while the connection stays open.
 */
public sealed interface ClientMessage {

    /** {@code {"type":"say","text":"hello"}}: text already checked (1 to 2000 characters). */
    record Say(String text) implements ClientMessage {
    }

    /** {@code {"type":"rename","name":"Bob"}}: name already trimmed and checked. */
    record Rename(String name) implements ClientMessage {
    }

    /**
     * {@code {"type":"members","after":1000}}: the next page of a large room's members, after the
     * cursor ({@code more}) of the welcome or of the previous page.
     */
    record Members(long after) implements ClientMessage {
    }

    /** A frame longer than {@code duplex.chat.max-frame-chars}: the connection is closed with 1009. */
    record TooBig(int chars, int limit) implements ClientMessage {
    }

    /** Anything else: the error to send back. */
    record Rejected(ErrorMessage error) implements ClientMessage {
    }
}
