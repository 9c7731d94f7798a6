package duplex.bus;

/**
 * Being the one node that does a cluster-wide job (the quote feed). At most one node leads a
 * given name at a time, up to the lease's expiry; when the leader dies or loses Redis, another
 * node takes over after the lease expires.
 */
public interface Leadership extends AutoCloseable {

    /** Told when this node starts or stops leading; calls never overlap. */
    interface Listener {
        void elected();

        void demoted();
    }

    boolean isLeader();

    /** Steps down (if leading) and stops competing. */
    @Override
    void close();
}
