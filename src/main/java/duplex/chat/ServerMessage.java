package duplex.chat;

import duplex.bus.Member;
import duplex.protocol.ErrorMessage;

import java.time.Instant;
import java.util.List;

/** What the chat server sends; {@link ServerMessageEncoder} writes each as one JSON object. */
public sealed interface ServerMessage {

    /**
     * The first message on every connection.
     *
     * @param members     the room's members in join order, all of them unless {@code more} is set
     * @param memberCount how many members the room has, on every node, {@code you} included
     * @param more        null when {@code members} lists everyone; else the cursor for the rest
     *                    ({@link Members} pages, asked for with {@code {"type":"members","after":more}})
     * @param recovered   null when the client gave no {@code since}; else whether every message after
     *                    it was still in the history
     */
    record Welcome(String room, String epoch, Member you, List<Member> members, int memberCount, Long more, List<Message> history,
                   Boolean recovered) implements ServerMessage {
    }

    /**
     * One page of a large room's members, the answer to {@code {"type":"members","after":cursor}}.
     *
     * @param more null on the last page; else the cursor of the next
     */
    record Members(List<Member> members, int memberCount, Long more) implements ServerMessage {
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
