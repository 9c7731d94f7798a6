package duplex.delivery;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Hands one frame to many outboxes without writing it on the caller's thread.
 *
 * <p>Why: a broadcast runs on the thread that received the message (the sender's container
 * thread) and under the room's lock. If each recipient with nothing on the wire were written to
 * right there, a message to a thousand members would be a thousand socket writes before that
 * thread reads the sender's next message or lets go of the room. So a round only queues, and the
 * outboxes that have nobody to take their queue out (no send in flight) are handed, in chunks,
 * to the writers: a small pool of our own threads that start those sends. Members with a send in
 * flight need nothing: its completion takes the new frame out, grouped with whatever else waits
 * ({@link Wire}).
 *
 * <p>Thread-safe; each {@link Round} belongs to one thread.
 */
public final class Fanout {

    /** Writes on the caller's thread: for tests and parts that run without a writer pool. */
    public static final Fanout INLINE = new Fanout(Runnable::run);

    /** Outboxes per writer task: enough to keep hand-offs rare, few enough to spread over the writers. */
    static final int CHUNK = 64;

    private final Executor writers;

    public Fanout(Executor writers) {
        this.writers = writers;
    }

    /** Starts handing one frame to a set of recipients. */
    public Round round() {
        return new Round();
    }

    /** One broadcast: {@link #add} each recipient, then {@link #finish}. */
    public final class Round {
        private Outbox[] chunk;
        private int count;

        private Round() {
        }

        /**
         * Queues the frame to one recipient. Returns false when its outbox refused it (it is
         * closing, or this frame pushed it past its bound and it is being cut off).
         */
        public boolean add(Outbox outbox, Frame frame) {
            switch (outbox.queueOnly(frame)) {
                case REFUSED:
                    return false;
                case NEEDS_WRITER:
                    if (chunk == null) {
                        chunk = new Outbox[CHUNK];
                    }
                    chunk[count++] = outbox;
                    if (count == CHUNK) {
                        handOver();
                    }
                    return true;
                default:
                    return true;
            }
        }

        /** Hands the last outboxes to the writers; call once, after the last {@link #add}. */
        public void finish() {
            if (count > 0) {
                handOver();
            }
        }

        private void handOver() {
            Outbox[] outboxes = chunk;
            int n = count;
            chunk = null;
            count = 0;
            Runnable write = () -> {
                for (int i = 0; i < n; i++) {
                    outboxes[i].write();
                }
            };
            try {
                writers.execute(write);
            } catch (RejectedExecutionException e) {
                write.run(); // shutting down: the last frames still go out, on this thread
            }
        }
    }
}
