package duplex.bus;

import java.util.List;
import java.util.concurrent.CompletableFuture;

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
    CompletableFuture<Long> post(Post post);

    /** A member of this node joined: added here at once (listener told), announced to the cluster. */
    void join(Member member);

    /** A member of this node left: removed here at once (listener told), announced to the cluster. */
    void leave(Member member);

    /** A member of this node changed its name. */
    void rename(Member member, String previousName);

    /** Every node's members as this node knows them now, in the order they joined (a copy). */
    List<Member> members();

    /** The seq of the last message this node has seen (0 when none). */
    long lastSeq();

    /** This node no longer hosts anyone in the room: stop receiving its traffic. */
    @Override
    void close();
}
