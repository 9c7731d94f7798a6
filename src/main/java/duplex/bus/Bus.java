package duplex.bus;

import java.util.function.Consumer;

/**
 * Room traffic between the nodes of a cluster: {@link LocalBus} when there is one node (the
 * default), {@link RedisBus} when {@code duplex.redis-url} is set.
 */
public interface Bus extends AutoCloseable {

    /**
     * Connects this node to a room (one link per room per node) and loads its state: the
     * cluster's members and the last {@code historySize} messages.
     *
     * @throws BusUnavailableException when the room's state cannot be loaded now
     */
    RoomLink link(String room, int historySize, RoomListener listener);

    /**
     * {@link #link}, without waiting: completes with the link once the room's state is loaded,
     * or exceptionally with {@link BusUnavailableException}. A room is opened on a container's
     * thread (the first join), which must not wait for Redis.
     */
    default java.util.concurrent.CompletableFuture<RoomLink> open(String room, int historySize, RoomListener listener) {
        try {
            return java.util.concurrent.CompletableFuture.completedFuture(link(room, historySize, listener));
        } catch (RuntimeException e) {
            return java.util.concurrent.CompletableFuture.failedFuture(e);
        }
    }

    /** Subscribes to a cluster-wide topic; {@code receiver} is called in publish order, one call at a time. */
    Topic topic(String name, Consumer<String> receiver);

    /** Competes for the leadership of {@code name}; the listener hears when this node wins or loses it. */
    Leadership lead(String name, Leadership.Listener listener);

    /** This node's name in the cluster (for logs and presence). */
    String nodeId();

    /** For /health and /metrics: answers at once, no I/O. */
    BusStatus status();

    /** True when traffic crosses nodes (Redis); false for the in-process bus. */
    boolean clustered();

    @Override
    void close();
}
