package duplex.chat;

import duplex.protocol.ErrorMessage;

import java.time.Instant;
import java.util.List;

/** What the chat server sends; {@link ServerMessageEncoder} writes each as one JSON object. */
public sealed interface ServerMessage {

    /**
     * The first message on every connection.
     *
     * @param recovered null when the client gave no {@code since}; else whether every message after
     *                  it was still in the history
     */
    record Welcome(String room, Member you, List<Member> members, List<Message> history, Boolean recovered)
            implements ServerMessage {
    }

    /** One accepted chat message; {@code seq} counts up by one per message within the room. */
    record Message(String room, long seq, Member from, String text, Instant ts) implements ServerMessage {
    }

    record Joined(Member member) implements ServerMessage {
    }

    record Left(Member member) implements ServerMessage {
    }

    record Renamed(Member member, String previous) implements ServerMessage {
    }

    record Error(ErrorMessage error) implements ServerMessage {
    }
}
