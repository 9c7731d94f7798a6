package duplex.delivery;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;

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
 * ({@link Wire}). While the writers are behind by {@link #MAX_BACKLOG_BYTES}, the broadcasting
 * thread writes its round itself: back-pressure on the sender, only while the server is behind.
 *
 * <p>Thread-safe; each {@link Round} belongs to one thread.
 */
public final class Fanout {

    /** Writes on the caller's thread: for tests and parts that run without a writer pool. */
    public static final Fanout INLINE = new Fanout(Runnable::run);

    /** Outboxes per writer task: enough to keep hand-offs rare, few enough to spread over the writers. */
    static final int CHUNK = 64;

    /**
     * Bytes of frames handed to the writers and not yet written, past which a broadcasting thread
     * writes its own round. It bounds what healthy members' outboxes hold because of our own lag
     * (a burst into a small room would otherwise queue hundreds of frames per member behind the
     * writers, and a member who reads well could pass its bound), and it slows a sender down only
     * while the writers are that far behind.
     */
    static final long MAX_BACKLOG_BYTES = 256 * 1024;

    private final Executor writers;
    private final long maxBacklogBytes;
    private final AtomicLong backlogBytes = new AtomicLong();

    public Fanout(Executor writers) {
        this(writers, MAX_BACKLOG_BYTES);
    }

    Fanout(Executor writers, long maxBacklogBytes) {
        this.writers = writers;
        this.maxBacklogBytes = maxBacklogBytes;
    }

    /** Bytes handed to the writers and not yet written (for tests and metrics). */
    long backlogBytes() {
        return backlogBytes.get();
    }

    /** Starts handing one frame to a set of recipients. */
    public Round round() {
        return new Round();
    }

    /** One broadcast: {@link #add} each recipient, then {@link #finish}. */
    public final class Round {
        private Outbox[] chunk;
        private int count;
        private int frameBytes;

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
                    frameBytes = frame.bytes();
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
            long bytes = (long) n * frameBytes;
            chunk = null;
            count = 0;
            if (backlogBytes.get() + bytes > maxBacklogBytes) {
                writeAll(outboxes, n); // the writers are behind: this thread writes its own round
                return;
            }
            backlogBytes.addAndGet(bytes);
            try {
                writers.execute(() -> {
                    try {
                        writeAll(outboxes, n);
                    } finally {
                        backlogBytes.addAndGet(-bytes);
                    }
                });
            } catch (RejectedExecutionException e) {
                backlogBytes.addAndGet(-bytes);
                writeAll(outboxes, n); // shutting down: the last frames still go out, on this thread
            }
        }

        private static void writeAll(Outbox[] outboxes, int n) {
            for (int i = 0; i < n; i++) {
                outboxes[i].write();
            }
        }
    }
}
