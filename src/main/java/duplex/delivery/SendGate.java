package duplex.delivery;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many connections, over the whole server, may have an asynchronous send in flight at once.
 *
 * <p>Why: Tomcat completes every asynchronous send on its request executor (one hand-off per send),
 * and a client's close frame, answered on that executor, waits (spinning) for the send in flight on
 * its connection to complete. With a send in flight on every connection, a room that closes at once
 * puts every executor thread into that wait, with the completions it waits for queued behind it:
 * nothing completes until the container's blocking-send timeout, and /health and new handshakes
 * queue behind hundreds of thousands of completions. With at most this many sends in flight, at
 * most this many closes can wait, the rest of the executor runs the completions they wait for, and
 * our hand-offs never hold more than this many places in the executor's queue.
 *
 * <p>A connection that finds the gate full waits in line (first come, first served) without
 * holding any thread; a completing send lets the next in line through, on the completing thread.
 * A send that does not complete soon (a peer that stopped reading) gives its place back
 * ({@link Outbox#parkIfSlow}), so stalled peers cannot keep everyone else waiting; the send
 * timeout still ends them. Thread-safe.
 */
public final class SendGate {

    /** No limit: for containers and tests where sends cost no shared thread. */
    public static final SendGate UNLIMITED = new SendGate(Integer.MAX_VALUE);

    /** Set while this thread lets connections through, so a send completing inside one does not recurse. */
    private static final ThreadLocal<Boolean> ADMITTING = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private final int permits;
    private final AtomicInteger used = new AtomicInteger();
    private final Queue<Outbox> waiting = new ConcurrentLinkedQueue<>();

    public SendGate(int permits) {
        if (permits < 1) {
            throw new IllegalArgumentException("permits must be at least 1: " + permits);
        }
        this.permits = permits;
    }

    public int permits() {
        return permits;
    }

    /** Sends in flight now that hold a place. */
    public int inFlight() {
        return used.get();
    }

    /** Connections waiting for a place. */
    public int waiting() {
        return waiting.size();
    }

    /** Takes a place if one is free and nobody is waiting for one (no overtaking those in line). */
    boolean tryEnter() {
        if (!waiting.isEmpty()) {
            return false;
        }
        for (int u = used.get(); u < permits; u = used.get()) {
            if (used.compareAndSet(u, u + 1)) {
                return true;
            }
        }
        return false;
    }

    /** Puts the outbox in line; it is called back ({@link Outbox#admitted}) holding a place. */
    void await(Outbox outbox) {
        waiting.add(outbox);
        admit(); // a place may have been freed between the failed tryEnter and now
    }

    /** Gives a place back and lets the next in line through. */
    void leave() {
        used.decrementAndGet();
        admit();
    }

    private void admit() {
        if (ADMITTING.get()) {
            return; // the loop further up this thread's stack goes on letting them through
        }
        ADMITTING.set(true);
        try {
            while (!waiting.isEmpty()) {
                int u = used.get();
                if (u >= permits) {
                    return;
                }
                if (!used.compareAndSet(u, u + 1)) {
                    continue;
                }
                Outbox next = waiting.poll();
                if (next == null) {
                    used.decrementAndGet(); // another thread let the last one through
                    return;
                }
                next.admitted();
            }
        } finally {
            ADMITTING.set(false);
        }
    }
}
