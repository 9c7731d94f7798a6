package duplex.chat;

import duplex.delivery.Fanout;
import duplex.bus.Bus;
import duplex.bus.BusUnavailableException;
import duplex.bus.Member;
import duplex.guard.MemoryBudget;

import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.OptionalLong;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * All chat rooms of the application. A room comes into being with its first member.
 *
 * <p>An empty room is kept, with its history and its seq, for the linger time
 * ({@code duplex.chat.room-linger}, default 10 minutes), so that someone whose connection
 * dropped while alone in the room comes back to the same seq and recovers with {@code since}.
 * After that the room and its history are dropped: memory stays bounded by the rooms in use,
 * not by every name ever tried.
 *
 * <p>Bounds, so that no client can crowd the others out: at most {@code duplex.chat.max-rooms}
 * rooms exist at once, and at most {@code duplex.chat.max-rooms-per-address} of them were
 * created by one client address (lingering ones count until they are dropped). When the cap is
 * reached a new room takes the place of the room that has lingered empty the longest: an empty
 * room is only kept in case someone comes back, a new room has someone now. Only when every room
 * has members is a new one refused (close 1013). Chat history is charged to the address that
 * posted it in the {@link MemoryBudget}; when the budget as a whole is reached, the oldest
 * history of all rooms is evicted first (off the caller's thread, on the scheduler).
 */
public final class Rooms implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Rooms.class.getName());

    /**
     * @param presenceTick how long a room gathers joins, renames and leaves into one presence message (0: one each, at once)
     * @param membersPage  most members a welcome lists; the rest come in pages of this size when asked for
     */
    public record Limits(int historyLimit, Duration linger, int maxRooms, int maxRoomsPerAddress, Duration presenceTick,
                         int membersPage) {
        public Limits(int historyLimit, Duration linger, int maxRooms, int maxRoomsPerAddress) {
            this(historyLimit, linger, maxRooms, maxRoomsPerAddress, Duration.ZERO, 1000);
        }
    }

    /** Why a join was refused. */
    public enum Refusal {
        /** Every room has members and there are {@code maxRooms}: try later (1013). */
        ROOMS_FULL,
        /** The joiner's address created {@code maxRoomsPerAddress} rooms that still exist (1013). */
        ADDRESS_ROOMS_FULL,
        /** The chosen name looks like a signed-in member's in the room (1008). */
        NAME_OF_A_SIGNED_IN_MEMBER,
        /** The joiner's outbox did not take the welcome: the connection is already closing. */
        CLOSING,
        /** The room lives in Redis (a cluster) and Redis cannot be reached now (1013). */
        BUS_UNAVAILABLE,
        /** The room failed to take the join (logged; the joiner is not in it): 1011. */
        FAILED
    }

    /** What {@link #join} did: the participant is in a room, or was refused. */
    public sealed interface Joined {
        record In(Room room) implements Joined {
        }

        record Refused(Refusal why) implements Joined {
        }
    }

    private final Limits limits;
    private final Clock clock;
    private final Map<String, Room> rooms = new ConcurrentHashMap<>();
    /** Rooms that exist, by the address that created them. */
    private final Map<String, Integer> createdBy = new ConcurrentHashMap<>();
    private final ScheduledExecutorService scheduler;
    private final ScheduledFuture<?> sweeper;
    private final LongConsumer fanOut;
    /** Where each room's seq, history and members live: this JVM, or Redis for a cluster. */
    private final Bus bus;
    private final MemoryBudget budget;
    private final AtomicBoolean evictionScheduled = new AtomicBoolean();
    /** Where the rooms take their turns of joins and leaves (see {@link Room}): never a container thread. */
    private final Executor turns;
    private final Fanout fanout;

    /**
     * @param fanOut told how long each broadcast took to queue to every member, in nanoseconds
     * @param budget what the history of every room is charged to
     * @param turns  where the rooms apply joins and leaves (a few threads of our own)
     */
    public Rooms(Limits limits, Clock clock, ScheduledExecutorService scheduler, LongConsumer fanOut, Bus bus,
                 MemoryBudget budget, Executor turns, Fanout fanout) {
        this.turns = turns;
        this.fanout = fanout;
        this.bus = bus;
        this.limits = limits;
        this.clock = clock;
        this.fanOut = fanOut;
        this.budget = budget;
        this.scheduler = scheduler;
        long every = sweepInterval(limits.linger()).toMillis();
        this.sweeper = scheduler.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.MILLISECONDS);
    }

    static Duration sweepInterval(Duration linger) {
        Duration quarter = linger.dividedBy(4);
        return quarter.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1)
                : quarter.compareTo(Duration.ofSeconds(30)) > 0 ? Duration.ofSeconds(30) : quarter;
    }

    /**
     * Puts the participant into the named room (created if needed), its welcome first, and then
     * tells {@code then} what happened: at once when the room is refused, else when its turn in
     * the room came (on the rooms' executor). Never waits for the room.
     */
    public void join(String name, Participant participant, OptionalLong since, Consumer<Joined> then) {
        join(name, participant, since, null, then);
    }

    /** As {@link #join(String, Participant, OptionalLong, Consumer)}, with the epoch the client's since is in (null: unknown). */
    public void join(String name, Participant participant, OptionalLong since, String sinceEpoch, Consumer<Joined> then) {
        Room room;
        try {
            room = roomFor(name, participant.outbox().remoteAddress());
        } catch (RoomsFullException e) {
            then.accept(new Joined.Refused(e.why));
            return;
        } catch (BusUnavailableException e) {
            LOG.log(System.Logger.Level.DEBUG, "room {0} unavailable: {1}", name, e.getMessage());
            then.accept(new Joined.Refused(Refusal.BUS_UNAVAILABLE));
            return;
        }
        Room joining = room;
        joining.join(participant, since, sinceEpoch, admission -> {
            switch (admission) {
                case JOINED -> then.accept(new Joined.In(joining));
                case NAME_OF_A_SIGNED_IN_MEMBER -> then.accept(new Joined.Refused(Refusal.NAME_OF_A_SIGNED_IN_MEMBER));
                case WELCOME_REFUSED -> then.accept(new Joined.Refused(Refusal.CLOSING));
                case FAILED -> then.accept(new Joined.Refused(Refusal.FAILED));
                case UNAVAILABLE -> {
                    forget(joining); // never opened: the next join tries a new one
                    then.accept(new Joined.Refused(Refusal.BUS_UNAVAILABLE));
                }
                case RETIRED -> {
                    forget(joining); // retired under our feet: help the sweeper, then try again
                    join(name, participant, since, sinceEpoch, then);
                }
            }
        });
    }

    /** Whom the rooms a backend posts into (through the HTTP API) are counted to. */
    static final String API_CREATOR = "api";

    /**
     * Posts {@code text} into the named room as {@code author} (a backend, through the HTTP API),
     * creating the room if this node has none: every member on every node sees it as a
     * {@code message}. Completes with its seq, or exceptionally with {@link BusUnavailableException}
     * (nobody will see it) or {@link RoomsFullException}.
     */
    public CompletableFuture<Long> post(String name, Member author, String text) {
        Room target;
        try {
            target = roomFor(name, API_CREATOR);
        } catch (RoomsFullException | BusUnavailableException e) {
            return CompletableFuture.failedFuture(e);
        }
        return target.announce(author, text).thenCompose(seq -> {
            if (seq != null) {
                return CompletableFuture.completedFuture(seq);
            }
            forget(target); // retired under our feet: once more, with a new room
            return post(name, author, text);
        }).whenComplete((seq, failure) -> {
            if (failure != null && target.neverOpened()) {
                forget(target); // the bus could not open it: the next post or join tries a new one
            }
        });
    }

    /** No room can be had: the registry, or the creator's share of it, is full. */
    public static final class RoomsFullException extends RuntimeException {
        private final Refusal why;

        RoomsFullException(Refusal why) {
            super(why.name(), null, false, false);
            this.why = why;
        }
    }

    /**
     * The named room, created for {@code creator} (counted against its share) if this node has
     * none. Never waits for the bus: the room opens on its own, and what is asked of it waits for
     * that in the room. Only a bus that fails at once throws here.
     *
     * @throws RoomsFullException       when no room may be created
     * @throws BusUnavailableException  when the bus refused the room at once
     */
    private Room roomFor(String name, String creator) {
        Room room = rooms.get(name);
        if (room != null) {
            return room;
        }
        Refusal refusal = reserveRoomFor(creator);
        if (refusal != null) {
            throw new RoomsFullException(refusal);
        }
        Room[] created = new Room[1];
        try {
            return rooms.computeIfAbsent(name, n -> created[0] = new Room(n, creator, limits.historyLimit(), clock,
                    fanOut, bus, budget, this::overBudget, new Room.Presence(limits.presenceTick(), scheduler, limits.membersPage()),
                    turns, fanout));
        } finally {
            if (created[0] == null) {
                unreserve(creator); // someone else created it meanwhile, or the bus failed
            }
        }
    }

    /** Counts one more room for the address, or says why it may not have one. */
    private Refusal reserveRoomFor(String address) {
        boolean[] allowed = {false};
        createdBy.compute(address, (key, count) -> {
            int now = count == null ? 0 : count;
            if (now >= limits.maxRoomsPerAddress()) {
                return count;
            }
            allowed[0] = true;
            return now + 1;
        });
        if (!allowed[0]) {
            return Refusal.ADDRESS_ROOMS_FULL;
        }
        if (rooms.size() >= limits.maxRooms() && !dropLongestEmpty()) {
            unreserve(address);
            return Refusal.ROOMS_FULL;
        }
        return null;
    }

    private void unreserve(String address) {
        createdBy.computeIfPresent(address, (key, count) -> count <= 1 ? null : count - 1);
    }

    /** Drops the room that has been empty the longest, if any is empty; true if one was dropped. */
    private boolean dropLongestEmpty() {
        while (true) {
            Room longest = null;
            for (Room room : rooms.values()) {
                if (room.size() == 0 && !room.opening() && (longest == null || room.emptySince() < longest.emptySince())) {
                    longest = room;
                }
            }
            if (longest == null) {
                return false;
            }
            // Someone may have joined it since the scan: then look again.
            if (longest.retireIfIdle(System.nanoTime(), 0)) {
                forget(longest);
                return true;
            }
        }
    }

    /** Removes a retired room from the registry and from its creator's count, once. */
    private void forget(Room room) {
        if (rooms.remove(room.name(), room)) {
            unreserve(room.creator());
        }
    }

    /** Takes the participant out of the room in the room's turn; never waits for the room. */
    public void leave(Room room, Participant participant) {
        room.leave(participant, () -> {
            if (limits.linger().isZero() && room.retireIfIdle(System.nanoTime(), 0)) {
                forget(room);
            }
        });
    }

    /** Rooms that exist, lingering empty ones included (what {@code duplex.chat.max-rooms} caps). */
    public int count() {
        return rooms.size();
    }

    /** Rooms with at least one member on this node. */
    public int occupied() {
        return (int) rooms.values().stream().filter(room -> room.size() > 0).count();
    }

    /** Rooms without members, kept for the linger time. */
    public int lingering() {
        return count() - occupied();
    }

    /** Rooms that exist and were created by this address. */
    public int createdBy(String address) {
        return createdBy.getOrDefault(address, 0);
    }

    void sweep() {
        long now = System.nanoTime();
        long linger = limits.linger().toNanos();
        for (Room room : rooms.values()) {
            if (room.retireIfIdle(now, linger)) {
                forget(room);
            }
        }
    }

    /** A room's history passed the total budget: evict, once, on the scheduler (never on a room's lock). */
    private void overBudget() {
        if (evictionScheduled.compareAndSet(false, true)) {
            try {
                scheduler.execute(this::evictOldestHistory);
            } catch (RejectedExecutionException e) {
                evictionScheduled.set(false); // shutting down
            }
        }
    }

    /** A room and when its oldest held message was posted, as a key that stays put in the queue. */
    private record Aged(Room room, long oldestNanos) {
    }

    /**
     * Evicts history, the oldest message of all rooms first, until the budget is a tenth below
     * its total (so that eviction runs in rounds, not once per message).
     */
    void evictOldestHistory() {
        evictionScheduled.set(false);
        long target = budget.total() - budget.total() / 10;
        if (budget.used() <= target) {
            return;
        }
        PriorityQueue<Aged> oldestFirst = new PriorityQueue<>(Comparator.comparingLong(Aged::oldestNanos));
        for (Room room : rooms.values()) {
            long oldest = room.oldestHeldNanos();
            if (oldest != Long.MAX_VALUE) {
                oldestFirst.add(new Aged(room, oldest));
            }
        }
        long evicted = 0;
        while (budget.used() > target && !oldestFirst.isEmpty()) {
            Aged aged = oldestFirst.poll();
            long next = aged.room().evictOldest();
            evicted++;
            if (next != Long.MAX_VALUE) {
                oldestFirst.add(new Aged(aged.room(), next));
            }
        }
        LOG.log(System.Logger.Level.INFO, "memory budget of {0} bytes reached: evicted the {1} oldest chat history messages",
                String.valueOf(budget.total()), String.valueOf(evicted));
    }

    @Override
    public void close() {
        sweeper.cancel(false);
    }
}
