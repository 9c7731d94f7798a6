package duplex.bus;

/**
 * A cluster-wide broadcast channel without history (quote ticks): what one node publishes,
 * every node's subscriber receives, in publish order. Best effort: while Redis is down,
 * publishes are dropped (a newer tick replaces an older one anyway).
 */
public interface Topic extends AutoCloseable {

    /** Returns false when the message could not be handed to the cluster. */
    boolean publish(String message);

    @Override
    void close();
}
