package duplex.bus;

/**
 * What a room on this node hears from the bus. Calls for one room never overlap and come in
 * cluster order: {@link #posted} with seq 1, 2, 3 ... without gaps or repeats, presence
 * changes in the order they happened relative to the messages. Calls are made while the
 * room's {@link RoomLink} lock is held, so they must not block (hand frames to outboxes).
 */
public interface RoomListener {

    void posted(Posted message);

    void joined(Member member);

    void left(Member member);

    void renamed(Member member, String previousName);
}
