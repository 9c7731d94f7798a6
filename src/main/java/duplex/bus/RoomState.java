package duplex.bus;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One room as this node sees it: the cluster's members, the recent history and the last seq,
 * kept up to date from the bus's events and turned into {@link RoomListener} calls. Every
 * change is idempotent (a repeated join, a message seen twice), because with Redis the same
 * fact can arrive both from a snapshot and from the channel. Guarded by its own monitor; the
 * listener is called with it held.
 */
final class RoomState implements RoomView {

    private static final System.Logger LOG = System.getLogger(RoomState.class.getName());

    /** A member and the node its connection lives on. */
    record Present(Member member, String node) {
    }

    enum Outcome { APPLIED, DUPLICATE, GAP }

    private final String room;
    private final int historySize;
    private final RoomListener listener;
    private final Map<String, Present> members = new LinkedHashMap<>();
    /** Members of other nodes absent from the last snapshots, and since when (nanoTime). */
    private final Map<String, Long> missingSince = new HashMap<>();
    private final ArrayDeque<Posted> history = new ArrayDeque<>();
    private long lastSeq;

    RoomState(String room, int historySize, RoomListener listener) {
        this.room = room;
        this.historySize = historySize;
        this.listener = listener;
    }

    String room() {
        return room;
    }

    synchronized <T> T read(Function<RoomView, T> action) {
        return action.apply(this);
    }

    /** The state loaded when the link opens: before any listener call. */
    synchronized void load(long seq, List<Posted> recent, List<Present> present) {
        lastSeq = Math.max(lastSeq, seq);
        history.clear();
        for (Posted posted : recent) {
            append(posted);
        }
        for (Present p : present) {
            members.putIfAbsent(p.member().id(), p);
        }
    }

    /** A message in seq order: applied when it is the next one, ignored when already seen. */
    synchronized Outcome posted(Posted message) {
        if (message.seq() <= lastSeq) {
            return Outcome.DUPLICATE;
        }
        if (message.seq() != lastSeq + 1) {
            return Outcome.GAP;
        }
        deliver(message);
        return Outcome.APPLIED;
    }

    /**
     * A message after a gap that could not be filled (the history that held the missing ones
     * is gone, as when Redis restarted without persistence): delivered anyway, and said so.
     */
    synchronized void postedAfterLoss(Posted message) {
        if (message.seq() <= lastSeq) {
            return;
        }
        LOG.log(System.Logger.Level.WARNING, "room {0}: messages {1} to {2} are lost (history gone); continuing at {3}",
                room, lastSeq + 1, message.seq() - 1, message.seq());
        deliver(message);
    }

    private void deliver(Posted message) {
        lastSeq = message.seq();
        append(message);
        try {
            listener.posted(message);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "room {0}: listener failed on message {1}: {2}", room, message.seq(), e.toString());
        }
    }

    private void append(Posted posted) {
        history.addLast(posted);
        while (history.size() > historySize) {
            history.removeFirst();
        }
        lastSeq = Math.max(lastSeq, posted.seq());
    }

    /** Drops history entries up to and including {@code seq}; see {@link RoomLink#forgetHistoryThrough}. */
    synchronized void forgetThrough(long seq) {
        while (!history.isEmpty() && history.peekFirst().seq() <= seq) {
            history.removeFirst();
        }
    }

    synchronized void joined(Member member, String node) {
        missingSince.remove(member.id());
        Present before = members.put(member.id(), new Present(member, node));
        if (before == null) {
            call(() -> listener.joined(member));
        } else if (!before.member().name().equals(member.name())) {
            call(() -> listener.renamed(member, before.member().name()));
        }
    }

    synchronized void left(String id) {
        missingSince.remove(id);
        Present before = members.remove(id);
        if (before != null) {
            call(() -> listener.left(before.member()));
        }
    }

    synchronized void renamed(Member member, String node, String previousName) {
        Present before = members.get(member.id());
        if (before == null) {
            joined(member, node);
            return;
        }
        if (!before.member().name().equals(member.name())) {
            members.put(member.id(), new Present(member, node));
            call(() -> listener.renamed(member, previousName));
        }
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
    synchronized void reconcile(String self, List<Present> snapshot, long now, long graceNanos) {
        Map<String, Present> seen = new HashMap<>();
        for (Present p : snapshot) {
            if (!p.node().equals(self)) {
                seen.put(p.member().id(), p);
            }
        }
        for (Present p : seen.values()) {
            Present known = members.get(p.member().id());
            if (known == null || !known.member().name().equals(p.member().name())) {
                joined(p.member(), p.node());
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
            left(id);
        }
    }

    private void call(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "room {0}: listener failed: {1}", room, e.toString());
        }
    }

    // RoomView, read under the monitor (inside read()).

    @Override
    public List<Member> members() {
        List<Member> list = new ArrayList<>(members.size());
        for (Present p : members.values()) {
            list.add(p.member());
        }
        return list;
    }

    @Override
    public List<Posted> history() {
        return new ArrayList<>(history);
    }

    @Override
    public synchronized long lastSeq() {
        return lastSeq;
    }
}
