package duplex.bus;

import java.util.List;

/**
 * A room as the cluster had it when this node linked to it: the first thing its
 * {@link RoomListener} hears, before any change.
 *
 * @param members every node's members, in the order they joined
 * @param history the most recent messages (at most the history size asked for), oldest first
 * @param lastSeq the seq of the last message given out (0 when none)
 */
public record RoomSnapshot(List<Member> members, List<Posted> history, long lastSeq) {

    public RoomSnapshot {
        members = List.copyOf(members);
        history = List.copyOf(history);
    }

    static final RoomSnapshot EMPTY = new RoomSnapshot(List.of(), List.of(), 0);
}
