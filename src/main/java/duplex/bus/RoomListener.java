package duplex.bus;

/**
 * What a room on this node hears from the bus. {@link #loaded} comes first; after it, calls come
 * in cluster order: {@link #posted} with seq 1, 2, 3 ... without gaps or repeats, presence
 * changes in the order they happened relative to the messages. Calls for one room never overlap,
 * and none is made while the bus holds a lock of its own: the room keeps its state under its own
 * lock, and may call its {@link RoomLink} from inside a call (what that causes is heard after the
 * current call returns). Calls must not block for long (hand frames to outboxes).
 */
public interface RoomListener {

    /** The room as the cluster had it when this node linked to it. */
    void loaded(RoomSnapshot snapshot);

    void posted(Posted message);

    void joined(Member member);

    void left(Member member);

    void renamed(Member member, String previousName);
}
