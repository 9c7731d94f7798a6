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

    /**
     * The presence changes of a room over one tick, each list in the order things happened:
     * a client applies {@code joined} (add or replace by id), then {@code renamed} (replace by id),
     * then {@code left} (remove by id). A member may appear in several lists (joined and left
     * within one tick), and {@code joined} may list members the client already has (from its
     * welcome, itself included).
     */
    record Presence(List<Member> joined, List<Renamed> renamed, List<Member> left) implements ServerMessage {
        public Presence {
            joined = List.copyOf(joined);
            renamed = List.copyOf(renamed);
            left = List.copyOf(left);
        }
    }

    record Error(ErrorMessage error) implements ServerMessage {
    }
}
