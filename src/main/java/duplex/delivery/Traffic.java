package duplex.delivery;

/**
 * What delivery reports about the connections of one endpoint, for metrics and the dashboard.
 * One instance per endpoint, resolved once when a session opens, so the per-message calls are
 * plain counter increments with no lookup. Implementations must be thread-safe and cheap.
 */
public interface Traffic {

    /** Reports nothing: for parts built without metrics. */
    Traffic NONE = new Traffic() {
    };

    /** A session of this endpoint opened. */
    default void opened() {
    }

    /** A session of this endpoint closed with this close code (after {@link #opened()}). */
    default void closed(int closeCode) {
    }

    /** One whole message arrived from a peer. */
    default void received(int bytes) {
    }

    /**
     * One socket write to a peer completed, carrying this many whole messages (more than one when
     * they were waiting together) of this many payload bytes in all.
     */
    default void written(int messages, long bytes) {
    }

    /** A peer was cut off because its outbox passed its bound. */
    default void slowConsumer() {
    }
}
