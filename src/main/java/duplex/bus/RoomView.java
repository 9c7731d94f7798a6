package duplex.bus;

import java.util.List;

/** A consistent picture of a room: valid only inside {@link RoomLink#read}. */
public interface RoomView {

    /** Every member on every node, in the order they joined. */
    List<Member> members();

    /** The room's most recent messages (at most the history size), oldest first. */
    List<Posted> history();

    /** The seq of the last message this node has seen (0 when none). */
    long lastSeq();
}
