package duplex.bus;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One room as this node's bus sees it: the cluster's members (and their nodes) and the last seq,
 * kept up to date from the bus's events and turned into {@link RoomListener} calls. Every
 * change is idempotent (a repeated join, a message seen twice), because with Redis the same
 * fact can arrive both from a snapshot and from the channel.
 *
 * <p>The state is guarded by this object's monitor; the listener is never called with it held.
 * A change queues its listener call under the monitor (so the calls are queued in the order of
 * the changes) and then, outside it, the calling thread delivers what is queued unless another
 * thread is already doing so. So the room may keep its own lock and call back into the link from
 * a listener call without the two locks ever being taken in opposite orders; a call it causes
 * that way is delivered after the current one returns.
 */
final class RoomState {

    private static final System.Logger LOG = System.getLogger(RoomState.class.getName());

    /** A member and the node its connection lives on. */
    record Present(Member member, String node) {
    }

    enum Outcome { APPLIED, DUPLICATE, GAP }

    private final String room;
    private final RoomListener listener;
    private final Map<String, Present> members = new LinkedHashMap<>();
    /** Members of other nodes absent from the last snapshots, and since when (nanoTime). */
    private final Map<String, Long> missingSince = new HashMap<>();
    private long lastSeq;
    /** Listener calls not yet delivered, in the order of the changes. */
    private final ConcurrentLinkedQueue<Runnable> calls = new ConcurrentLinkedQueue<>();
    /** A thread is delivering {@link #calls}. */
    private final AtomicBoolean delivering = new AtomicBoolean();

    RoomState(String room, RoomListener listener) {
        this.room = room;
        this.listener = listener;
    }

    String room() {
        return room;
    }

    /** The state loaded when the link opens: the listener hears it before any change. */
    void load(long seq, List<Posted> recent, List<Present> present, String epoch) {
        synchronized (this) {
            lastSeq = Math.max(lastSeq, seq);
            for (Present p : present) {
                members.putIfAbsent(p.member().id(), p);
            }
            RoomSnapshot snapshot = new RoomSnapshot(members(), recent, lastSeq, epoch);
            queue(() -> listener.loaded(snapshot));
        }
        deliver();
    }

    /** A message in seq order: applied when it is the next one, ignored when already seen. */
    Outcome posted(Posted message) {
        Outcome outcome;
        synchronized (this) {
            if (message.seq() <= lastSeq) {
                return Outcome.DUPLICATE;
            }
            outcome = message.seq() == lastSeq + 1 ? Outcome.APPLIED : Outcome.GAP;
            if (outcome == Outcome.APPLIED) {
                apply(message);
            }
        }
        deliver();
        return outcome;
    }

    /** The next message of a room whose seq this node gives out (the in-process bus): its seq. */
    long postNext(Post post) {
        long seq;
        synchronized (this) {
            seq = lastSeq + 1;
            apply(new Posted(seq, post));
        }
        deliver();
        return seq;
    }

    /**
     * A message after a gap that could not be filled (the history that held the missing ones
     * is gone, as when Redis restarted without persistence): delivered anyway, and said so.
     */
    void postedAfterLoss(Posted message) {
        synchronized (this) {
            if (message.seq() <= lastSeq) {
                return;
            }
            LOG.log(System.Logger.Level.WARNING, "room {0}: messages {1} to {2} are lost (history gone); continuing at {3}",
                    room, lastSeq + 1, message.seq() - 1, message.seq());
            apply(message);
        }
        deliver();
    }

    private void apply(Posted message) {
        lastSeq = message.seq();
        queue(() -> listener.posted(message));
    }

    void joined(Member member, String node) {
        synchronized (this) {
            join(member, node);
        }
        deliver();
    }

    private void join(Member member, String node) {
        missingSince.remove(member.id());
        Present before = members.put(member.id(), new Present(member, node));
        if (before == null) {
            queue(() -> listener.joined(member));
        } else if (!before.member().name().equals(member.name())) {
            queue(() -> listener.renamed(member, before.member().name()));
        }
    }

    void left(String id) {
        synchronized (this) {
            leave(id);
        }
        deliver();
    }

    private void leave(String id) {
        missingSince.remove(id);
        Present before = members.remove(id);
        if (before != null) {
            queue(() -> listener.left(before.member()));
        }
    }

    void renamed(Member member, String node, String previousName) {
        synchronized (this) {
            Present before = members.get(member.id());
            if (before == null) {
                join(member, node);
            } else if (!before.member().name().equals(member.name())) {
                members.put(member.id(), new Present(member, node));
                queue(() -> listener.renamed(member, previousName));
            }
        }
        deliver();
    }

    synchronized long lastSeq() {
        return lastSeq;
    }

    /** Every node's members, in the order they joined. */
    synchronized List<Member> members() {
        List<Member> list = new ArrayList<>(members.size());
        for (Present p : members.values()) {
            list.add(p.member());
        }
        return list;
    }

    /** This node's own members: the ones it announces to the cluster. */
    synchronized List<Member> membersOf(String node) {
        List<Member> own = new ArrayList<>();
        for (Present p : members.values()) {
            if (p.node().equals(node)) {
                own.add(p.member());
            }
        }
        return own;
    }

    /**
     * Brings the other nodes' members in line with a snapshot from Redis (which only lists
     * members of live nodes). A missed join is repaired at once; a member is dropped only after
     * it was absent for {@code graceNanos}, so a snapshot taken while Redis restarts and the
     * nodes re-announce themselves does not make members flap.
     */
    void reconcile(String self, List<Present> snapshot, long now, long graceNanos) {
        synchronized (this) {
            Map<String, Present> seen = new HashMap<>();
            for (Present p : snapshot) {
                if (!p.node().equals(self)) {
                    seen.put(p.member().id(), p);
                }
            }
            for (Present p : seen.values()) {
                Present known = members.get(p.member().id());
                if (known == null || !known.member().name().equals(p.member().name())) {
                    join(p.member(), p.node());
                }
                missingSince.remove(p.member().id());
            }
            List<String> gone = new ArrayList<>();
            for (Iterator<Present> it = members.values().iterator(); it.hasNext(); ) {
                Present p = it.next();
                if (p.node().equals(self) || seen.containsKey(p.member().id())) {
                    continue;
                }
                long since = missingSince.computeIfAbsent(p.member().id(), id -> now);
                if (now - since >= graceNanos) {
                    gone.add(p.member().id());
                }
            }
            for (String id : gone) {
                leave(id);
            }
        }
        deliver();
    }

    /** Under the monitor: a listener call, in the order of the changes. */
    private void queue(Runnable call) {
        calls.offer(call);
    }

    /**
     * Outside the monitor: delivers the queued calls, one at a time, unless another thread is
     * at it (it then delivers ours too: a call queued while it runs is seen by its loop, or by
     * the check after it lets go).
     */
    private void deliver() {
        while (!calls.isEmpty() && delivering.compareAndSet(false, true)) {
            try {
                Runnable call;
                while ((call = calls.poll()) != null) {
                    try {
                        call.run();
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.WARNING, "room {0}: listener failed: {1}", room, e.toString());
                    }
                }
            } finally {
                delivering.set(false);
            }
        }
    }
}
