package duplex.bus;

import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * This node's connection to one room's cluster-wide traffic. The room's local members join,
 * leave and post through it; what anyone on any node does comes back through its
 * {@link RoomListener}, this node's own posts included (so every node shows the same order).
 */
public interface RoomLink extends AutoCloseable {

    /**
     * Offers a message. Completes with its seq once it is accepted cluster-wide (it is then in
     * the history and on its way to every node), or exceptionally with
     * {@link BusUnavailableException}, in which case nobody will ever see it.
     */
    CompletableFuture<Long> post(String body);

    /** A member of this node joined: added here at once (listener called), announced to the cluster. */
    void join(Member member);

    /** A member of this node left: removed here at once (listener called), announced to the cluster. */
    void leave(Member member);

    /** A member of this node changed its name. */
    void rename(Member member, String previousName);

    /**
     * Runs {@code action} with a consistent view: no listener call happens while it runs, so a
     * room can read the members and history and register a new local session atomically.
     */
    <T> T read(Function<RoomView, T> action);

    /**
     * Forgets, on this node, the history up to and including {@code seq} (the oldest first), to
     * give its memory back; a joiner's welcome then starts later, and recovery from before it says
     * {@code recovered:false}. What the cluster keeps (Redis) is not touched.
     */
    void forgetHistoryThrough(long seq);

    /** This node no longer hosts anyone in the room: stop receiving its traffic. */
    @Override
    void close();
}
