package duplex.chat;

import duplex.bus.Bus;
import duplex.bus.BusUnavailableException;
import duplex.bus.Member;
import duplex.bus.Post;
import duplex.bus.Posted;
import duplex.bus.RoomLink;
import duplex.bus.RoomListener;
import duplex.bus.RoomSnapshot;
import duplex.delivery.Fanout;
import duplex.delivery.Frame;
import duplex.guard.MemoryBudget;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * One chat room on this node: its local members, and its link to the room's traffic on the
 * {@link Bus} (in-process by default, Redis in a cluster), which gives every message its
 * {@code seq} and keeps the members of every node and the recent history.
 *
 * <p>Ordering: the room keeps what its members see (every node's members, the recent history, the
 * last seq) itself, from what the bus tells it ({@link RoomListener}: one call at a time, in
 * cluster order), and changes it only under its own lock, the room's one serial section. Every
 * change (join, message, rename, leave, from this node or another) is applied there, and each
 * message is queued to every local member's outbox before the next one. So every member on every
 * node sees the same order, and a joiner's welcome is consistent with what follows it: whatever
 * the welcome does not have yet comes to the joiner as a change. Holding the lock is cheap:
 * {@link duplex.delivery.Outbox#send} only queues; the JSON is written once per broadcast. A
 * message is delivered when the bus hands it back, also on the node that sent it.
 *
 * <p>A member whose outbox refuses a frame (it is closed, or was just cut off as a slow consumer)
 * is removed at once and announced as {@code left}, instead of waiting for its close handshake,
 * which towards a stalled peer can take the whole send timeout.
 *
 * <p>Presence: joins, renames and leaves (from this node or another) are gathered for one
 * {@link PresenceTick} and announced to every member as one {@code presence} message, so a room of
 * N that fills or empties at once costs N frames per tick instead of a frame per member per change
 * (N²/2 for a room that empties). Messages are not delayed; presence lags them by at most a tick.
 *
 * <p>Joins and leaves take turns ({@link #inTurn}): a container thread only queues them and
 * returns, and one task on the rooms' executor applies a batch of them under one hold of the
 * lock. A thousand members joining or leaving at once used to be a thousand container threads
 * queued on this room's lock, every one of them a worker that could not answer anybody else,
 * and a lock handed on a thousand times on two cores.
 *
 * <p>Memory: every message kept in this node's copy of the history is charged in the
 * {@link MemoryBudget} to the address that posted it (messages from other nodes, or from members
 * gone by the time the bus delivers them, to {@link #CLUSTER}), and given back when it leaves the
 * history, when {@link Rooms} evicts it because the budget is full, or when the room is dropped.
 */
public final class Room implements RoomListener {

    private static final System.Logger LOG = System.getLogger(Room.class.getName());

    /** Whom history is charged to when its poster is not a member on this node. */
    static final String CLUSTER = "cluster";

    private final String name;
    /** The client address that created the room (its count in {@link Rooms} caps rooms per address). */
    private final String creator;
    private final Clock clock;
    /** The room's serial section: guards everything not marked otherwise. */
    private final Object lock = new Object();
    /** This node's members; {@link #roster} has every node's. */
    private final Map<String, Participant> members = new LinkedHashMap<>();
    /** {@code members.size()}, written under the lock after every change. */
    private volatile int memberCount;
    /**
     * {@link #members} as an array for {@link #broadcast}, rebuilt only after the members change:
     * a room sees far more messages than joins, and copying a thousand members per message was a
     * visible share of the fan-out's CPU. Null when stale.
     */
    private Participant[] recipients;
    /** Set when the registry dropped this room; a joiner then asks the registry again. */
    private boolean retired;
    /** When the room last became empty on this node (nanoTime); written under the lock. */
    private volatile long emptySince;
    private final int historyLimit;
    private final MemoryBudget budget;
    private final Runnable overBudget;
    /** The last seq given out (0: none yet); written under the lock. */
    private volatile long lastSeq;
    /** Names this run of the room's sequence (from the bus); a client's since counts only in it. */
    private String epoch = "";
    /** The recent history, oldest first, at most {@link #historyLimit}, each message charged to the budget. */
    private final ArrayDeque<Held> held = new ArrayDeque<>();
    /** When the oldest held message arrived (nanoTime), Long.MAX_VALUE when none; read by eviction without the lock. */
    private volatile long oldestHeldNanos = Long.MAX_VALUE;
    private final LongConsumer fanOut;
    /** Queues each broadcast to the members; the socket writes happen on the writers' threads. */
    private final Fanout fanout;
    /**
     * Null until the bus has opened the room (at once with the in-process bus; after Redis
     * answered in a cluster): joins queue meanwhile and take their turns once it is set.
     */
    private volatile RoomLink link;
    /** The bus's opening of the room: completes with {@link #link}, or with why it could not. */
    private final CompletableFuture<RoomLink> opening;
    /** Why the bus could not open the room, or null: every turn is then answered with it. */
    private volatile RuntimeException openFailure;
    private final Presence presence;
    /** Presence changes not yet announced, by member id, in the order they happened. */
    private final Map<String, Member> joinedPending = new LinkedHashMap<>();
    private final Map<String, ServerMessage.Renamed> renamedPending = new LinkedHashMap<>();
    private final Map<String, Member> leftPending = new LinkedHashMap<>();
    /** An announcement of the pending changes is scheduled. */
    private boolean presenceScheduled;

    /** Joins and leaves waiting for their turn, in the order they came. */
    private final ConcurrentLinkedQueue<Turn<?>> turns = new ConcurrentLinkedQueue<>();
    /** A task is scheduled (or running) on {@link #executor} to take the waiting turns. */
    private final AtomicBoolean turnsScheduled = new AtomicBoolean();
    /** Where turns are taken: the rooms' own threads, never the container's. */
    private final Executor executor;
    /** Most turns applied under one hold of the lock: other rooms' turns and this room's readers get their go in between. */
    private static final int TURNS_PER_BATCH = 64;

    /**
     * A join or leave: work done in its turn under the lock, and what to do with its result after
     * the lock is released (tell the endpoint, which may then say something in the room).
     * {@code failed} undoes what {@code underLock} may have done when it throws (under the same
     * hold of the lock), or answers when the room never opened, so the connection that waits for
     * it always hears one.
     */
    private record Turn<T>(Supplier<T> underLock, java.util.function.Function<RuntimeException, T> failed, Consumer<T> then) {
        Runnable apply() {
            T result;
            try {
                result = underLock.get();
            } catch (RuntimeException e) {
                return refuse(e);
            }
            return () -> then.accept(result);
        }

        /** The answer of {@code failed}: the turn threw, or the room could not be opened at all. */
        Runnable refuse(RuntimeException why) {
            T answer = failed.apply(why);
            return () -> then.accept(answer);
        }
    }

    /**
     * How members hear of each other.
     *
     * @param tick      how long presence changes are gathered into one announcement (zero: announced at once)
     * @param scheduler where the announcement is scheduled
     * @param pageSize  most members a welcome lists, and a page of members (the rest: {@link #members})
     */
    record Presence(Duration tick, ScheduledExecutorService scheduler, int pageSize) {
    }

    /**
     * One message of the history: the JSON text of its {@code message}, written once when it
     * arrived (every welcome carries the history, and writing it again for each of a thousand
     * members who join or reconnect at once held the room's lock long enough to block every
     * container thread behind it), and its charge.
     */
    private record Held(long seq, String json, String address, long bytes, long arrivedNanos) {
    }

    /**
     * Every node's members in join order, as JSON, for welcomes and member pages (see
     * {@link Held} for why JSON). Kept from the bus's snapshot and changes.
     */
    private final Roster roster = new Roster();

    /**
     * @param overBudget called when a charge took the budget past its total (history should be evicted)
     * @throws duplex.bus.BusUnavailableException when the bus cannot load the room now
     */
    Room(String name, String creator, int historyLimit, Clock clock, LongConsumer fanOut, Bus bus, MemoryBudget budget,
         Runnable overBudget, Presence presence, Executor executor, Fanout fanout) {
        this.executor = executor;
        this.fanout = fanout;
        this.fanOut = fanOut;
        this.presence = presence;
        this.name = name;
        this.creator = creator;
        this.clock = clock;
        this.historyLimit = historyLimit;
        this.budget = budget;
        this.overBudget = overBudget;
        this.emptySince = System.nanoTime();
        // Never waits: a container thread opens the room (its first join), and Redis may be slow.
        this.opening = bus.open(name, historyLimit, this);
        opening.whenComplete((opened, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
                openFailure = cause instanceof RuntimeException runtime ? runtime : new IllegalStateException(cause);
                LOG.log(System.Logger.Level.DEBUG, "room {0} not opened: {1}", name, openFailure.toString());
            } else {
                // What the cluster already had came first, through loaded(): the first welcome carries it.
                link = opened;
            }
            scheduleTurns();
        });
    }

    /** True when the bus could not open the room: it never will be. */
    boolean neverOpened() {
        return opening.isCompletedExceptionally();
    }

    /** True while the bus is still opening the room: it has no state yet, and cannot be retired. */
    boolean opening() {
        return link == null && openFailure == null;
    }

    public String name() {
        return name;
    }

    String creator() {
        return creator;
    }

    long emptySince() {
        return emptySince;
    }

    long oldestHeldNanos() {
        return oldestHeldNanos;
    }

    /**
     * Members connected to this node. Read without the room's lock: /health and the metrics ask
     * for every room's size, and must not queue behind a thousand members joining one room.
     */
    public int size() {
        return memberCount;
    }

    /** The last seq given out (0: no message yet). */
    public long lastSeq() {
        return lastSeq;
    }

    /** What {@link #join} did. */
    enum Admission {
        JOINED,
        /** The room was retired meanwhile: the caller asks the registry again. */
        RETIRED,
        /** The newcomer chose a name that looks like a signed-in member's in this room. */
        NAME_OF_A_SIGNED_IN_MEMBER,
        /** The newcomer's outbox did not take the welcome (its connection is closing). */
        WELCOME_REFUSED,
        /** The join threw (the bus, or a bug): undone, the newcomer is not in the room. */
        FAILED,
        /** The bus could not open the room (Redis unreachable): the caller drops the room and refuses (1013). */
        UNAVAILABLE
    }

    /**
     * In its turn: sends the welcome to the newcomer, then announces it to the others (nothing
     * unless the answer is {@link Admission#JOINED}); then tells {@code then}, on the rooms'
     * executor, outside the lock.
     */
    void join(Participant newcomer, OptionalLong since, Consumer<Admission> then) {
        join(newcomer, since, null, then);
    }

    /**
     * {@link #join(Participant, OptionalLong, Consumer)} for a client that also says in which
     * {@code epoch} its {@code since} was (null: it does not know): a since of another epoch is
     * not where it left off, so it gets the whole history and {@code recovered:false}.
     */
    void join(Participant newcomer, OptionalLong since, String sinceEpoch, Consumer<Admission> then) {
        inTurn(new Turn<>(() -> admit(newcomer, since, sinceEpoch), e -> {
            if (link == null) {
                if (!(e instanceof BusUnavailableException)) {
                    LOG.log(System.Logger.Level.WARNING, "room {0} could not be opened: {1}", name, e.toString());
                }
                return Admission.UNAVAILABLE; // the room never opened
            }
            LOG.log(System.Logger.Level.WARNING, "room {0}: a join failed: {1}", name, e.toString());
            removeMember(newcomer);
            roster.remove(newcomer.id());
            return Admission.FAILED;
        }, then));
    }

    /** {@link #join}'s work, with the lock held. */
    private Admission admit(Participant newcomer, OptionalLong since, String sinceEpoch) {
        if (retired) {
            return Admission.RETIRED;
        }
        if (!newcomer.verified() && looksSignedIn(newcomer.name())) {
            return Admission.NAME_OF_A_SIGNED_IN_MEMBER;
        }
        long seq = lastSeq;
        Boolean recovered = null;
        // A seq this room never gave out, or one of another epoch: the room started again since; all its history then.
        boolean sameStream = since.isPresent() && since.getAsLong() <= seq && (sinceEpoch == null || sinceEpoch.equals(epoch));
        long after = sameStream ? since.getAsLong() : 0;
        List<String> replay = new ArrayList<>();
        for (Held h : held) {
            if (h.seq() > after) {
                replay.add(h.json());
            }
        }
        if (since.isPresent()) {
            recovered = sameStream && replay.size() == seq - after;
        }
        String you = roster.json(newcomer.member());
        Roster.Page first = roster.after(0, presence.pageSize());
        List<String> listed = json(first);
        Long more = null;
        if (first.complete() && listed.size() < presence.pageSize()) {
            listed.add(you); // it joins the roster below, after everyone listed
        } else {
            more = first.last();
        }
        String welcome = ServerMessageEncoder.welcome(name, epoch, you, listed, roster.size() + 1, more, replay, recovered);
        if (!newcomer.outbox().send(Frame.text(welcome))) {
            return Admission.WELCOME_REFUSED;
        }
        members.put(newcomer.id(), newcomer);
        memberCount = members.size();
        recipients = null;
        roster.add(newcomer.member()); // at once: the next joiner's welcome and name check see it
        link.join(newcomer.member()); // announced here through joined(), and to the other nodes
        return Admission.JOINED;
    }

    /**
     * Sends the member the page of members that joined after the cursor ({@code more} of its
     * welcome or of the previous page). Queued under the lock, so it fits in the order of the
     * presence messages the member receives.
     */
    void members(Participant member, long after) {
        synchronized (lock) {
            if (members.containsKey(member.id())) {
                Roster.Page page = roster.after(after, presence.pageSize());
                member.outbox().send(Frame.text(ServerMessageEncoder.members(json(page), roster.size(),
                        page.complete() ? null : page.last())));
            }
        }
    }

    private static List<String> json(Roster.Page page) {
        List<String> json = new ArrayList<>(page.entries().size() + 1);
        page.entries().forEach(e -> json.add(e.json()));
        return json;
    }

    /**
     * Whether a chosen name looks like ({@link Lookalikes}) the name of a signed-in member present
     * on any node: only a login carries the verified mark, and a lookalike beside it would pass
     * for it. A guest who chose the name before the member signed in keeps it; the mark tells
     * them apart. Called with the lock held.
     */
    private boolean looksSignedIn(String chosen) {
        Lookalikes.Key key = null;
        for (Member member : roster.verified()) {
            key = key == null ? Lookalikes.key(chosen) : key;
            if (key.looksLike(Lookalikes.key(member.name()))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Offers the text to the room. Completes once the message has its seq (it is then delivered to
     * every member, the sender included), or exceptionally with
     * {@link duplex.bus.BusUnavailableException} when the bus could not take it: then nobody
     * will ever see it.
     */
    CompletableFuture<Long> say(Participant sender, String text) {
        synchronized (lock) {
            if (!members.containsKey(sender.id())) {
                return CompletableFuture.completedFuture(0L); // already removed (cut off, or leaving); nobody will see this
            }
        }
        return link.post(new Post(sender.member(), text, clock.instant()));
    }

    /**
     * A message from outside the room (a backend, through the HTTP API): every member sees it as
     * a {@code message} from {@code author}, in the room's order. Completes with its seq; with
     * null when the room was retired meanwhile (ask the registry again); exceptionally when the
     * bus could not take it (nobody will see it).
     */
    CompletableFuture<Long> announce(Member author, String text) {
        return opening.thenCompose(opened -> {
            synchronized (lock) {
                if (retired) {
                    return CompletableFuture.completedFuture(null);
                }
            }
            return opened.post(new Post(author, text, clock.instant()));
        });
    }

    /**
     * Renames a (not signed-in) member and announces it. False, and nothing changes, when the new
     * name looks like a signed-in member's in this room.
     */
    boolean rename(Participant participant, String newName) {
        synchronized (lock) {
            if (looksSignedIn(newName)) {
                return false;
            }
            if (members.containsKey(participant.id())) {
                String previous = participant.name();
                participant.rename(newName);
                link.rename(participant.member(), previous);
            }
            return true;
        }
    }

    /**
     * In its turn: removes the participant and tells the others; a second call (the close after a
     * cut-off) does nothing. Then runs {@code then}, outside the lock.
     */
    void leave(Participant participant, Runnable then) {
        inTurn(new Turn<Void>(() -> {
            if (removeMember(participant)) {
                link.leave(participant.member());
            }
            return null;
        }, e -> {
            // Gone here; the cluster's presence sync removes what the bus did not hear.
            LOG.log(System.Logger.Level.WARNING, "room {0}: a leave failed: {1}", name, e.toString());
            removeMember(participant);
            return null;
        }, ignored -> then.run()));
    }

    /** Takes the participant out of this node's members, with the lock held; false if it was not in. */
    private boolean removeMember(Participant participant) {
        if (members.remove(participant.id()) == null) {
            return false;
        }
        memberCount = members.size();
        recipients = null;
        markIfEmpty();
        return true;
    }

    /** Queues the turn; makes sure a task will take it. Never waits. */
    private void inTurn(Turn<?> turn) {
        turns.offer(turn);
        scheduleTurns();
    }

    private void scheduleTurns() {
        // While the bus opens the room, turns wait: its completion schedules them (after setting
        // link or openFailure, which a turn queued meanwhile may not have seen).
        if (opening()) {
            return;
        }
        if (!turns.isEmpty() && turnsScheduled.compareAndSet(false, true)) {
            try {
                executor.execute(this::takeTurns);
            } catch (RejectedExecutionException e) {
                takeTurns(); // shutting down: the closes of the last connections still leave their rooms
            }
        }
    }

    /**
     * Applies up to {@link #TURNS_PER_BATCH} waiting turns under one hold of the lock, then their
     * follow-ups outside it; schedules itself again if more are waiting. One such task per room at
     * a time. A turn queued while this runs is seen either by the loop or by the check after
     * {@code turnsScheduled} is cleared.
     */
    private void takeTurns() {
        List<Runnable> after = new ArrayList<>();
        if (link == null) { // the bus could not open the room: everyone waiting is told
            Turn<?> turn;
            while (after.size() < TURNS_PER_BATCH && (turn = turns.poll()) != null) {
                after.add(turn.refuse(openFailure));
            }
        } else {
            takeTurns(after);
        }
        for (Runnable then : after) {
            try {
                then.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "room {0}: after a join or leave: {1}", name, e.toString());
            }
        }
        turnsScheduled.set(false);
        scheduleTurns();
    }

    /** Up to {@link #TURNS_PER_BATCH} waiting turns under one hold of the lock; their follow-ups into {@code after}. */
    private void takeTurns(List<Runnable> after) {
        synchronized (lock) {
            Turn<?> turn;
            while (after.size() < TURNS_PER_BATCH && (turn = turns.poll()) != null) {
                after.add(turn.apply());
            }
        }
    }

    /**
     * Retires the room if it has been empty (on this node) for at least {@code lingerNanos}; a
     * retired room takes no one, and this node stops following its traffic.
     */
    boolean retireIfIdle(long now, long lingerNanos) {
        if (link == null) {
            return openFailure != null; // never opened: nothing to close; still opening: not idle
        }
        synchronized (lock) {
            if (!retired && members.isEmpty() && now - emptySince >= lingerNanos) {
                retired = true;
                link.close();
                while (!held.isEmpty()) {
                    release(held.removeFirst());
                }
                oldestHeldNanos = Long.MAX_VALUE;
            }
            return retired;
        }
    }

    // RoomListener: what the bus reports, from this node or any other, one call at a time.

    @Override
    public void loaded(RoomSnapshot snapshot) {
        synchronized (lock) {
            // Members and history the cluster already had (Redis) are held here from now on too.
            snapshot.members().forEach(roster::add);
            snapshot.history().forEach(posted -> hold(posted, ServerMessageEncoder.toJson(message(posted)), CLUSTER));
            lastSeq = Math.max(lastSeq, snapshot.lastSeq());
            epoch = snapshot.epoch();
        }
    }

    @Override
    public void posted(Posted posted) {
        synchronized (lock) {
            lastSeq = posted.seq();
            String json = ServerMessageEncoder.toJson(message(posted));
            broadcast(Frame.text(json), null);
            Participant poster = members.get(posted.author().id());
            hold(posted, json, poster == null ? CLUSTER : poster.outbox().remoteAddress());
        }
    }

    /** Keeps a message in the history, charged to {@code address}; the oldest beyond the limit leaves it. */
    private void hold(Posted posted, String json, String address) {
        // Its JSON for welcomes, and its place in the history.
        long bytes = MemoryBudget.ofText(json.length()) + 64;
        budget.charge(address, bytes);
        held.addLast(new Held(posted.seq(), json, address, bytes, System.nanoTime()));
        while (held.size() > historyLimit) {
            release(held.removeFirst());
        }
        oldestHeldNanos = held.isEmpty() ? Long.MAX_VALUE : held.peekFirst().arrivedNanos();
        if (budget.overTotal()) {
            overBudget.run();
        }
    }

    private void release(Held h) {
        budget.release(h.address(), h.bytes());
    }

    /**
     * Evicts the oldest message of this node's history (the budget is full); returns when the
     * new oldest arrived, or Long.MAX_VALUE when nothing is left.
     */
    long evictOldest() {
        if (link == null) {
            return Long.MAX_VALUE; // not open: holds nothing
        }
        synchronized (lock) {
            Held oldest = held.pollFirst();
            if (oldest != null) {
                release(oldest);
            }
            oldestHeldNanos = held.isEmpty() ? Long.MAX_VALUE : held.peekFirst().arrivedNanos();
            return oldestHeldNanos;
        }
    }

    @Override
    public void joined(Member member) {
        synchronized (lock) {
            roster.add(member);
            joinedPending.put(member.id(), member);
            presenceChanged();
        }
    }

    @Override
    public void left(Member member) {
        synchronized (lock) {
            roster.remove(member.id());
            leftPending.put(member.id(), member);
            presenceChanged();
        }
    }

    @Override
    public void renamed(Member member, String previousName) {
        synchronized (lock) {
            // Several renames in one tick: the newest name, and the name the others knew before the tick.
            roster.add(member);
            ServerMessage.Renamed earlier = renamedPending.get(member.id());
            renamedPending.put(member.id(), new ServerMessage.Renamed(member, earlier == null ? previousName : earlier.previous()));
            presenceChanged();
        }
    }

    /** Called with the lock held: announces now (no tick) or makes sure the tick's announcement is scheduled. */
    private void presenceChanged() {
        if (presence.tick().isZero()) {
            announcePresence();
            return;
        }
        if (presenceScheduled) {
            return;
        }
        presenceScheduled = true;
        try {
            presence.scheduler().schedule(() -> {
                synchronized (lock) {
                    presenceScheduled = false;
                    announcePresence();
                }
            }, presence.tick().toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            presenceScheduled = false; // shutting down: nobody is left to tell
        }
    }

    /** One presence message with everything pending, to every member. Called with the lock held. */
    private void announcePresence() {
        if (joinedPending.isEmpty() && renamedPending.isEmpty() && leftPending.isEmpty()) {
            return;
        }
        ServerMessage.Presence changes = new ServerMessage.Presence(new ArrayList<>(joinedPending.values()),
                new ArrayList<>(renamedPending.values()), new ArrayList<>(leftPending.values()));
        joinedPending.clear();
        renamedPending.clear();
        leftPending.clear();
        // Members dropped by this broadcast come back through left(), into the next tick's message.
        broadcast(changes, null);
    }

    /**
     * Queues one frame, encoded once, to every local member but {@code exceptId}. Members whose
     * outbox refuses it are removed and their departure announced the same way (through the bus,
     * so other nodes hear it too). Called with the lock held.
     */
    private void broadcast(ServerMessage message, String exceptId) {
        broadcast(frame(message), exceptId);
    }

    /** {@link #broadcast(ServerMessage, String)} of a frame already written. */
    private void broadcast(Frame frame, String exceptId) {
        long started = System.nanoTime();
        List<Participant> dropped = null;
        // An array that is never changed, only replaced: a container may run another session's
        // close on this very thread (inside a failing send), and that close leaves the room,
        // re-entering this lock; this loop goes on over the array it started with.
        if (recipients == null) {
            recipients = members.values().toArray(Participant[]::new);
        }
        Fanout.Round round = fanout.round();
        for (Participant member : recipients) {
            if (member.id().equals(exceptId)) {
                continue;
            }
            boolean accepted;
            try {
                accepted = round.add(member.outbox(), frame);
            } catch (RuntimeException e) {
                accepted = false; // one broken connection must not stop delivery to the rest
            }
            if (!accepted) {
                if (dropped == null) {
                    dropped = new ArrayList<>();
                }
                dropped.add(member);
            }
        }
        round.finish();
        fanOut.accept(System.nanoTime() - started);
        if (dropped != null) {
            for (Participant gone : dropped) {
                if (members.remove(gone.id()) != null) {
                    memberCount = members.size();
                    recipients = null;
                    markIfEmpty();
                    link.leave(gone.member()); // comes back as left(): announced to the rest
                }
            }
        }
    }

    private void markIfEmpty() {
        if (members.isEmpty()) {
            emptySince = System.nanoTime();
        }
    }

    private static Frame frame(ServerMessage message) {
        return Frame.text(ServerMessageEncoder.toJson(message));
    }

    private ServerMessage.Message message(Posted posted) {
        return new ServerMessage.Message(name, posted.seq(), posted.author(), posted.body(), posted.at());
    }
}
