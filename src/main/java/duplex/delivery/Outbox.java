package duplex.delivery;

import duplex.guard.MemoryBudget;
import duplex.guard.RateLimiter;
import jakarta.websocket.CloseReason;
import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Everything the server sends to one connection goes through its Outbox.
 *
 * <p>Why: a {@link RemoteEndpoint.Async} allows only one send in flight (Tomcat throws
 * {@code IllegalStateException: TEXT_FULL_WRITING} on a second), and a blocking send from a
 * broadcast loop lets one slow peer stall everybody. So {@link #send} only queues and returns;
 * one send is in flight at a time, and its completion starts the next. A peer that cannot keep
 * up grows its own queue until the bound, then is closed with 1008 "slow consumer" and its
 * queue is dropped: memory stays bounded and nobody else waits.
 *
 * <p>Some traffic is a stream of states where only the newest matters (a price). For that,
 * {@link #sendLatest} keeps at most one unsent frame per key: a newer frame replaces the one
 * still waiting, in its place in the queue. A stalled peer then costs one frame per key, however
 * fast the states change, and sees the current state once it reads again.
 *
 * <p>A frame that only this connection holds (an echo reply) can be sent with {@link #sendCharged}:
 * its heap is charged to the client's address in the {@link MemoryBudget} until it is written,
 * so many connections of one address cannot together hold more than the address's share.
 * Broadcast frames are shared by every member and are not charged per member.
 *
 * <p>Thread-safe: any thread may call {@link #send}, {@link #sendLatest}, {@link #ping} and {@link #close}.
 */
public final class Outbox {

    private static final System.Logger LOG = System.getLogger(Outbox.class.getName());

    /** Close reason used when a peer's queue passes its bound. */
    public static final String SLOW_CONSUMER = "slow consumer";
    /** Close reason (1008) when the client's address holds its whole share of the memory budget. */
    public static final String ADDRESS_OVER_BUDGET = "too much memory held for your address";
    /** Close reason (1013) when the server as a whole holds its memory budget. */
    public static final String SERVER_OVER_BUDGET = "server busy, try again later";
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final Session session;
    private final String endpoint;
    private final RemoteEndpoint.Async remote;
    /** How frames reach the socket: grouped where the container allows it; see {@link Wire}. */
    private final Wire wire;
    /** The context class loader sends run under, or null for the thread's own: see {@link SendLoader}. */
    private final ClassLoader sendLoader;
    private final Executor closer;
    /** Runs pings: a ping is a blocking send in the API, so never on the caller's (the heartbeat's) thread. */
    private final Executor pinger;
    private final int maxMessages;
    private final long maxBytes;
    private final Traffic traffic;
    private final String remoteAddress;
    private final MemoryBudget budget;
    private final RateLimiter addressRate;
    /** Bounds the sends in flight over the whole server; see {@link SendGate} for why. */
    private final SendGate gate;
    /** This outbox is in the gate's line (at most once). */
    private final AtomicBoolean inLine = new AtomicBoolean();
    /** The send on the wire, if it still holds a place in the gate; null otherwise. */
    private volatile Send holding;
    private final long openedNanos = System.nanoTime();
    /** A ping is waiting for the pinger or being sent: at most one per connection. */
    private final AtomicBoolean pingPending = new AtomicBoolean();

    /** A {@link Frame}, or a {@link Slot} holding the newest frame for its key; in send order. */
    private final Queue<Object> queue = new ConcurrentLinkedQueue<>();
    /** The slots still waiting in {@link #queue}, by key; guarded by itself. */
    private final Map<Object, Slot> slots = new HashMap<>();
    private final AtomicLong conflated = new AtomicLong();
    private final AtomicInteger queuedMessages = new AtomicInteger();
    private final AtomicLong queuedBytes = new AtomicLong();
    /** Held by whoever has a send (or a ping) on the wire; the only way to touch {@link #remote}. */
    private final AtomicBoolean sending = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    /**
     * The close {@link #closeOnce} decided on, made once nothing is on the wire (or, for a peer
     * that does not read, once the heartbeat finds it waited {@link #CLOSE_GRACE} in vain). On
     * Tomcat a session's close turns batching off and flushes; a grouped write caught in the
     * middle would then write its later frames straight to the socket, ahead of the earlier ones
     * still in the buffer, and the client would see a frame out of order just before the close.
     */
    private final AtomicReference<CloseReason> pendingClose = new AtomicReference<>();
    private volatile long closeDecidedNanos;
    public static final java.time.Duration CLOSE_GRACE = java.time.Duration.ofSeconds(1);
    /** Set by {@link #closeWhenSent}: the close to make once the queue is empty and nothing is on the wire. */
    private volatile CloseReason closeWhenSent;
    private volatile long lastHeardNanos = System.nanoTime();
    /** When a data send last completed: the peer's socket is still taking what we send. */
    private volatile long lastDeliveredNanos = System.nanoTime();
    private volatile long lastPingNanos = System.nanoTime();
    private final long sendTimeoutNanos;
    /** When the send now on the wire was started (System.nanoTime, never 0), or 0 when none is. */
    private volatile long inFlightSince;

    /**
     * @param budget      where {@link #sendCharged} charges; null: nothing is charged
     * @param addressRate the rate limiter shared by the connections of the client's address, or null
     */
    Outbox(Session session, String endpoint, Executor closer, Executor pinger, int maxMessages, long maxBytes,
           long sendTimeoutMillis, Traffic traffic, MemoryBudget budget, RateLimiter addressRate) {
        this(session, endpoint, closer, pinger, maxMessages, maxBytes, sendTimeoutMillis, traffic, budget, addressRate,
                SendGate.UNLIMITED, true);
    }

    /**
     * @param gate    where every send of this outbox takes its place before it goes on the wire
     * @param grouped whether frames waiting together may go out in one write where the container allows it ({@link Wire})
     */
    public Outbox(Session session, String endpoint, Executor closer, Executor pinger, int maxMessages, long maxBytes,
                  long sendTimeoutMillis, Traffic traffic, MemoryBudget budget, RateLimiter addressRate, SendGate gate,
                  boolean grouped) {
        this.session = session;
        this.gate = gate;
        this.traffic = traffic;
        this.remoteAddress = RemoteAddress.of(session);
        this.pinger = pinger;
        this.budget = budget;
        this.addressRate = addressRate;
        this.endpoint = endpoint;
        this.remote = session.getAsyncRemote();
        this.wire = grouped ? Wire.of(session) : new Wire.Portable(remote);
        this.sendLoader = SendLoader.forSession(session);
        this.closer = closer;
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
        // The send timeout is watched by the heartbeat (Connections), not handed to the container:
        // with a send timeout set, Tomcat registers every asynchronous send in its write-timeout
        // registry (a concurrent skip list) and removes it on completion, a cost per message and
        // per member of every broadcast that the profile of the benchmark showed.
        this.sendTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(sendTimeoutMillis);
    }

    public Session session() {
        return session;
    }

    public String id() {
        return session.getId();
    }

    public String endpoint() {
        return endpoint;
    }

    /** The peer's address as the container reported it (for logs), or "unknown". */
    public String remoteAddress() {
        return remoteAddress;
    }

    /** Where this connection's traffic is counted (its endpoint's metrics). */
    public Traffic traffic() {
        return traffic;
    }

    /** The rate limiter this connection shares with the others of its address, or null. */
    public RateLimiter addressRate() {
        return addressRate;
    }

    /** The budget this connection's client is charged in, or null. */
    public MemoryBudget budget() {
        return budget;
    }

    /** How long this connection has been open, in milliseconds. */
    public long ageMillis() {
        return (System.nanoTime() - openedNanos) / 1_000_000;
    }

    public boolean isOpen() {
        return !closed.get() && session.isOpen();
    }

    /** Messages waiting, the one on the wire included. */
    public int pendingMessages() {
        return queuedMessages.get();
    }

    public long pendingBytes() {
        return queuedBytes.get();
    }

    /**
     * Queues a frame and returns at once. Returns false when the frame was not accepted: the
     * connection is closing, or this frame pushed it past its bound (it is then being closed
     * with 1008 "slow consumer").
     */
    public boolean send(Frame frame) {
        if (refusing()) {
            return false;
        }
        return enqueue(frame);
    }

    /** Closed, or closing once what is queued has gone out: no new frames. */
    private boolean refusing() {
        return closed.get() || closeWhenSent != null;
    }

    /**
     * Closes the connection once the frames already queued have been written (the answers that
     * explain the close, such as {@code rate_limited}, reach the client before it); takes no new
     * frames meanwhile. A peer that does not read is ended by the send timeout instead.
     */
    public void closeWhenSent(CloseReason reason) {
        if (closed.get()) {
            return;
        }
        closeWhenSent = reason;
        pump();
    }

    private void closeIfDrained() {
        CloseReason reason = closeWhenSent;
        if (reason != null && queue.isEmpty() && !sending.get()) {
            closeOnce(reason);
        }
    }

    /** What {@link #queueOnly} did with a frame. */
    enum Queued {
        /** Not accepted: the connection is closing, or this frame pushed it past its bound. */
        REFUSED,
        /** Queued behind a send in flight, whose completion takes it out. */
        QUEUED,
        /** Queued with nothing on the wire: someone must call {@link #write} for it to go out. */
        NEEDS_WRITER
    }

    /**
     * Queues a frame without writing anything on this thread ({@link Fanout}). The answer says
     * whether the caller must arrange a {@link #write}.
     */
    Queued queueOnly(Frame frame) {
        if (refusing() || !withinBound(frame)) {
            return Queued.REFUSED;
        }
        queue.add(frame);
        if (closed.get()) {
            discardQueue();
            return Queued.QUEUED; // accepted, then the connection closed: nothing more to do
        }
        // If a send is in flight now, its completion clears `sending` before it looks at the
        // queue again, so it sees this frame.
        return sending.get() ? Queued.QUEUED : Queued.NEEDS_WRITER;
    }

    /** Starts sending whatever is queued, if nothing is on the wire; for the writers of {@link Fanout}. */
    void write() {
        pump();
    }

    /** Counts a frame against the bound; past it, cuts the connection off (1008) and returns false. */
    private boolean withinBound(Frame frame) {
        int messages = queuedMessages.incrementAndGet();
        long bytes = queuedBytes.addAndGet(frame.bytes());
        if (messages > maxMessages || bytes > maxBytes) {
            // Several senders may cross the bound at once; only the one that closes reports it.
            if (closeOnce(new CloseReason(CloseReason.CloseCodes.VIOLATED_POLICY, SLOW_CONSUMER))) {
                traffic.slowConsumer();
                LOG.log(System.Logger.Level.INFO, "{0} session {1} from {2}: slow consumer, {3} messages / {4} bytes pending; closing",
                        endpoint, id(), remoteAddress, messages, bytes);
            }
            return false;
        }
        return true;
    }

    /** A {@link Frame} or a {@link Charged} one: counted against the bound, then sent or queued. */
    private boolean enqueue(Object item) {
        Frame frame = item instanceof Charged charged ? charged.frame : (Frame) item;
        if (!withinBound(frame)) {
            if (item instanceof Charged charged) {
                charged.release();
            }
            return false;
        }
        if (queue.isEmpty() && sending.compareAndSet(false, true)) {
            if (gate.tryEnter()) {
                // Nothing waiting and nothing on the wire: straight out, without a trip through the
                // queue (most sends of a broadcast to members who keep up). Frames queued by
                // others meanwhile go after this one, which any order between threads allows.
                if (new Send(item).start()) {
                    pump(); // completed on this thread: carry on with whatever was queued meanwhile
                }
                return true;
            }
            released(); // the gate is full: queue it, pump gets in line
        }
        queue.add(item);
        if (closed.get()) {
            discardQueue(); // closed while we queued: a charge must not stay behind in a dead queue
        }
        pump();
        return true;
    }

    /**
     * {@link #send}, with the frame's heap charged to the client's address until it has been
     * written (or dropped). A charge the budget refuses closes the connection: 1008 when the
     * address holds its share, 1013 when the whole server does. Returns false then.
     */
    public boolean sendCharged(Frame frame) {
        if (budget == null) {
            return send(frame);
        }
        if (refusing()) {
            return false;
        }
        long heap = heapOf(frame);
        MemoryBudget.Verdict verdict = budget.tryCharge(remoteAddress, heap);
        if (verdict != MemoryBudget.Verdict.CHARGED) {
            overBudget(verdict);
            return false;
        }
        return enqueue(new Charged(frame, heap));
    }

    /** Closes the connection for a charge the budget refused. */
    public void overBudget(MemoryBudget.Verdict verdict) {
        boolean address = verdict == MemoryBudget.Verdict.ADDRESS_FULL;
        if (closeOnce(address ? new CloseReason(CloseReason.CloseCodes.VIOLATED_POLICY, ADDRESS_OVER_BUDGET)
                : new CloseReason(CloseReason.CloseCodes.TRY_AGAIN_LATER, SERVER_OVER_BUDGET))) {
            LOG.log(System.Logger.Level.INFO, "{0} session {1} from {2}: memory budget of the {3} reached; closing",
                    endpoint, id(), remoteAddress, address ? "address" : "server");
        }
    }

    private static long heapOf(Frame frame) {
        return frame instanceof Frame.Text text ? MemoryBudget.ofText(text.text().length()) : MemoryBudget.ofBytes(frame.bytes());
    }

    /** A frame of {@link #sendCharged} while it waits and is written; released once, whichever comes first. */
    private final class Charged {
        final Frame frame;
        private final long heap;
        private final AtomicBoolean released = new AtomicBoolean();

        Charged(Frame frame, long heap) {
            this.frame = frame;
            this.heap = heap;
        }

        void release() {
            if (released.compareAndSet(false, true)) {
                budget.release(remoteAddress, heap);
            }
        }
    }

    /** What {@link #sendLatest} did with a frame. */
    public enum Offered {
        /** Queued in a new slot for its key. */
        QUEUED,
        /** Took the place of an older, still unsent frame for the same key, which is dropped. */
        REPLACED,
        /** Not accepted: the connection is closing, or this frame pushed it past its bound. */
        REFUSED
    }

    /**
     * Queues a frame of which only the newest per key matters, and returns at once. If a frame
     * with the same key is still waiting (not yet on the wire), this one replaces it in its place
     * in the queue and the older one is never sent. Frames queued with {@link #send} are never
     * replaced, and keep their order relative to the slots.
     */
    public Offered sendLatest(Object key, Frame frame) {
        if (refusing()) {
            return Offered.REFUSED;
        }
        Slot slot;
        synchronized (slots) {
            slot = slots.get(key);
            if (slot != null) {
                queuedBytes.addAndGet(frame.bytes() - slot.frame.bytes());
                slot.frame = frame;
                conflated.incrementAndGet();
                return Offered.REPLACED;
            }
            slot = new Slot(key, frame);
            slots.put(key, slot);
            queuedMessages.incrementAndGet();
            queuedBytes.addAndGet(frame.bytes());
            queue.add(slot);
        }
        int messages = queuedMessages.get();
        long bytes = queuedBytes.get();
        if (messages > maxMessages || bytes > maxBytes) {
            if (closeOnce(new CloseReason(CloseReason.CloseCodes.VIOLATED_POLICY, SLOW_CONSUMER))) {
                traffic.slowConsumer();
                LOG.log(System.Logger.Level.INFO, "{0} session {1} from {2}: slow consumer, {3} messages / {4} bytes pending; closing",
                        endpoint, id(), remoteAddress, messages, bytes);
            }
            return Offered.REFUSED;
        }
        pump();
        return Offered.QUEUED;
    }

    /**
     * Drops the unsent frame for a key, if one is waiting (for example when the peer no longer
     * wants that key). A frame already on the wire is not recalled. Returns whether one was dropped.
     */
    public boolean discardLatest(Object key) {
        synchronized (slots) {
            Slot slot = slots.remove(key);
            if (slot == null) {
                return false;
            }
            queuedMessages.decrementAndGet();
            queuedBytes.addAndGet(-slot.frame.bytes());
            slot.frame = null; // the queue still holds the slot; pump skips it
            return true;
        }
    }

    /** Keyed frames waiting in their slots (not yet on the wire). */
    public int pendingLatest() {
        synchronized (slots) {
            return slots.size();
        }
    }

    /** Frames dropped because a newer one for the same key replaced them before they were sent. */
    public long conflated() {
        return conflated.get();
    }

    /** The peer showed it is alive (a message or a pong arrived). */
    public void heard() {
        lastHeardNanos = System.nanoTime();
    }

    /**
     * A whole message of this many bytes arrived from the peer: counts it and marks the peer
     * as heard. Endpoints call this for messages (and {@link #heard()} alone for pongs).
     */
    public void received(int bytes) {
        lastHeardNanos = System.nanoTime();
        traffic.received(bytes);
    }

    long nanosSinceHeard(long now) {
        return now - lastHeardNanos;
    }

    /**
     * Time since the connection last showed life: something arrived from the peer, or one of our
     * sends completed. A busy listener is rarely pinged (pings wait for a quiet moment), but its
     * sends keep completing; a dead peer's sends stop completing once its socket buffers are
     * full, and then this grows (the send timeout catches the one stuck in flight too).
     */
    public long nanosSinceLife(long now) {
        return now - Math.max(lastHeardNanos, lastDeliveredNanos);
    }

    /** A send has been on the wire for longer than the send timeout. */
    public boolean sendOverdue(long now) {
        long since = inFlightSince;
        return since != 0 && now - since > sendTimeoutNanos;
    }

    /** The heartbeat found a send overdue: the same outcome as a send that failed. */
    public void sendTimedOut() {
        failed(new SocketTimeoutException("send not completed within " + TimeUnit.NANOSECONDS.toMillis(sendTimeoutNanos) + " ms"));
    }

    /** How long since the last ping went out; the heartbeat (duplex.connection.Connections) pings past the interval. */
    public long nanosSincePinged(long now) {
        return now - lastPingNanos;
    }

    /**
     * Asks the pinger to send a ping and returns at once. The API's sendPing blocks until the
     * ping is written, which towards a peer that stopped reading means until the container's
     * blocking-send timeout: so never on the heartbeat's thread, which serves everyone. The
     * ping goes out only when nothing is on the wire (a ping must not race a data send, and while
     * a send is pending the send timeout already watches the peer); data waits for the ping only
     * while it is actually being written, never while it waits for the pinger.
     */
    public void ping(long now) {
        if (closed.get() || !pingPending.compareAndSet(false, true)) {
            return;
        }
        lastPingNanos = now;
        try {
            pinger.execute(this::pingNow);
        } catch (RejectedExecutionException e) {
            pingPending.set(false); // shutting down
        }
    }

    private void pingNow() {
        try {
            if (closed.get() || !sending.compareAndSet(false, true)) {
                return;
            }
            ClassLoader own = underSendLoader();
            try {
                remote.sendPing(EMPTY.duplicate());
            } catch (IOException | RuntimeException e) {
                failed(e);
            } finally {
                restoreLoader(own);
                released();
            }
        } finally {
            pingPending.set(false);
        }
        pump();
    }

    /**
     * Closes the connection without blocking the caller: a close handshake towards a stalled
     * peer can block for the container's whole send timeout, so it runs on the closer pool.
     * Pending frames are dropped and their memory released at once.
     */
    public void close(CloseReason reason) {
        closeOnce(reason);
    }

    /** {@link #close}, telling whether this call was the one that started the close. */
    private boolean closeOnce(CloseReason reason) {
        if (!closed.compareAndSet(false, true)) {
            return false;
        }
        discardQueue();
        closeDecidedNanos = System.nanoTime();
        pendingClose.set(reason);
        if (!sending.get()) {
            closeNow(); // else the send on the wire makes it when it completes (released())
        }
        return true;
    }

    /** Releases {@link #sending}; a close decided meanwhile is made now. */
    private void released() {
        sending.set(false);
        if (closed.get()) {
            closeNow();
        }
    }

    /** The heartbeat: a close that waited longer than the grace for a send that never completes is made anyway. */
    public void closeIfOverdue(long now) {
        if (pendingClose.get() != null && now - closeDecidedNanos > CLOSE_GRACE.toNanos()) {
            closeNow();
        }
    }

    /** Makes the pending close, once, on the closer pool (a close towards a stalled peer blocks). */
    private void closeNow() {
        CloseReason reason = pendingClose.getAndSet(null);
        if (reason == null) {
            return;
        }
        closer.execute(() -> {
            try {
                if (session.isOpen()) {
                    session.close(reason);
                }
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "{0} session {1}: close failed: {2}", endpoint, id(), e.toString());
            }
        });
    }

    /** The container reported the connection closed: stop sending, free the queue. */
    public void closedByPeer() {
        closed.set(true);
        discardQueue();
        // A send of a closed session may never complete: Tomcat drops the handler of a message
        // split in parts when the session closes between them (an IllegalStateException on its
        // executor). Its place in the gate is no longer needed to protect anyone, so give it back.
        Send send = holding;
        if (send != null) {
            send.releasePlace();
        }
    }

    /** Switches this thread to {@link #sendLoader} (if any) for a send; returns the loader to restore. */
    private ClassLoader underSendLoader() {
        if (sendLoader == null) {
            return null;
        }
        Thread thread = Thread.currentThread();
        ClassLoader own = thread.getContextClassLoader();
        thread.setContextClassLoader(sendLoader);
        return own;
    }

    private void restoreLoader(ClassLoader own) {
        if (sendLoader != null) {
            Thread.currentThread().setContextClassLoader(own);
        }
    }

    private void discardQueue() {
        synchronized (slots) {
            slots.clear();
            for (Object item; (item = queue.poll()) != null; ) {
                if (item instanceof Charged charged) {
                    charged.release();
                }
            }
        }
        // What is on the wire stays counted until its completion arrives; the rest is gone.
        queuedMessages.set(0);
        queuedBytes.set(0);
    }

    private void pump() {
        pumpQueue();
        closeIfDrained();
    }

    private void pumpQueue() {
        while (!closed.get() && !queue.isEmpty() && sending.compareAndSet(false, true)) {
            if (!gate.tryEnter()) {
                released();
                if (inLine.compareAndSet(false, true)) {
                    gate.await(this); // called back in admitted() with a place
                }
                return;
            }
            if (!sendNext()) {
                return; // completes later, on another thread, which pumps again
            }
        }
    }

    /**
     * Holding {@link #sending} and a place in the gate: puts the next frame on the wire. Returns
     * true when there is nothing more to do here (it completed on this thread, or there was no
     * frame; both released), false when the send completes later.
     */
    private boolean sendNext() {
        Object item = unslotted(queue.poll());
        if (item == null) {
            released();
            gate.leave();
            return true; // someone raced us to it, or a discarded slot; the caller's loop decides
        }
        if (queue.isEmpty() || !wire.joinsGroup(frameOf(item))) {
            return new Send(item).start(); // alone: nothing waits with it, or the wire does not group (the portable one never does)
        }
        // Group commit: what is already waiting goes out with it, in one write. Only what is
        // waiting, so a group never waits for a frame that has not come.
        Object[] group = new Object[Math.min(wire.maxFrames(), queuedMessages.get() + 1)];
        int count = 0;
        group[count++] = item;
        for (Object head; count < group.length && (head = queue.peek()) != null && wire.joinsGroup(frameOf(head)); ) {
            Object next = unslotted(queue.poll());
            if (next != null) {
                group[count++] = next;
            }
        }
        return new Send(group, count).start();
    }

    /** A queued item as it is sent: a slot's newest frame (null if it was discarded), anything else as it is. */
    private Object unslotted(Object queued) {
        return queued instanceof Slot slot ? take(slot) : queued;
    }

    /** The frame of a queued item, for sizing a group; null for a slot already emptied. */
    private static Frame frameOf(Object queued) {
        if (queued instanceof Charged charged) {
            return charged.frame;
        }
        return queued instanceof Slot slot ? slot.frame : (Frame) queued;
    }

    /** The gate let this outbox through: it holds a place, to use now or give back. */
    void admitted() {
        inLine.set(false);
        if (closed.get() || queue.isEmpty() || !sending.compareAndSet(false, true)) {
            // Closed or emptied meanwhile, or a ping is on the wire (it pumps when done).
            gate.leave();
            return;
        }
        if (sendNext()) {
            pump();
        }
    }

    /**
     * A send on the wire for longer than {@code afterNanos} gives its place in the gate back: its
     * peer reads slowly or not at all, and must not keep the others waiting. Called by the heartbeat.
     */
    public void parkIfSlow(long now, long afterNanos) {
        Send send = holding;
        long since = inFlightSince;
        if (send != null && since != 0 && now - since > afterNanos) {
            send.releasePlace();
        }
    }

    /** The newest frame of a slot leaving the queue; from now on its key starts a new slot. */
    private Frame take(Slot slot) {
        synchronized (slots) {
            slots.remove(slot.key, slot);
            Frame frame = slot.frame;
            slot.frame = null;
            return frame;
        }
    }

    /** The newest unsent frame for one key; {@code frame} is null once taken or discarded. Guarded by {@link #slots}. */
    private static final class Slot {
        private final Object key;
        private Frame frame;

        Slot(Object key, Frame frame) {
            this.key = key;
            this.frame = frame;
        }
    }

    private void failed(Throwable error) {
        if (closed.compareAndSet(false, true)) {
            discardQueue();
            LOG.log(System.Logger.Level.DEBUG, "{0} session {1}: send failed: {2}", endpoint, id(), error.toString());
            closer.execute(() -> {
                try {
                    session.close(new CloseReason(CloseReason.CloseCodes.GOING_AWAY, "send failed"));
                } catch (IOException | RuntimeException ignored) {
                    // the connection is already gone; nothing more to do
                }
            });
        }
    }

    /**
     * One send on the wire: a frame, or a group of frames the {@link Wire} writes together.
     * Containers may call the handler on the sending thread before the send call returns (Tomcat
     * does when the socket takes it at once); then the loop in {@link #pump} carries on instead of
     * recursing, so a long queue cannot overflow the stack.
     */
    private final class Send implements SendHandler {
        private static final int ON_THE_WIRE = 0;
        private static final int RETURNED = 1;
        private static final int COMPLETED_INLINE = 2;

        /** Each a {@link Frame} or a {@link Charged} frame, in send order. */
        private final Object[] items;
        private final Frame[] frames;
        private final int count;
        private final long bytes;
        private final AtomicInteger state = new AtomicInteger(ON_THE_WIRE);
        /** Whether this send still holds its place in the gate: given back once, on completion or when parked. */
        private final AtomicBoolean placed = new AtomicBoolean(true);

        /** @param item a {@link Frame} or a {@link Charged} frame */
        Send(Object item) {
            this(new Object[] {item}, 1);
        }

        Send(Object[] items, int count) {
            this.items = items;
            this.count = count;
            this.frames = new Frame[count];
            long total = 0;
            for (int i = 0; i < count; i++) {
                frames[i] = items[i] instanceof Charged c ? c.frame : (Frame) items[i];
                total += frames[i].bytes();
            }
            this.bytes = total;
        }

        /** Returns true when the send already completed on this thread. */
        boolean start() {
            holding = this;
            inFlightSince = System.nanoTime() | 1;
            ClassLoader own = underSendLoader();
            try {
                wire.send(frames, count, this);
            } catch (RuntimeException e) {
                onResult(new SendResult(e));
            } finally {
                restoreLoader(own);
            }
            return !state.compareAndSet(ON_THE_WIRE, RETURNED);
        }

        void releasePlace() {
            if (placed.compareAndSet(true, false)) {
                gate.leave();
            }
        }

        @Override
        public void onResult(SendResult result) {
            inFlightSince = 0;
            holding = null;
            for (int i = 0; i < count; i++) {
                if (items[i] instanceof Charged charged) {
                    charged.release();
                }
            }
            if (!closed.get()) {
                queuedMessages.addAndGet(-count);
                queuedBytes.addAndGet(-bytes);
            }
            if (result.isOK()) {
                lastDeliveredNanos = System.nanoTime();
                traffic.written(count, bytes);
            } else {
                failed(result.getException());
            }
            released();
            releasePlace();
            if (!state.compareAndSet(ON_THE_WIRE, COMPLETED_INLINE)) {
                pump();
            }
        }
    }
}
