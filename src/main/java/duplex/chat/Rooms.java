package duplex.chat;

import duplex.bus.Bus;
import duplex.bus.LocalBus;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * All chat rooms of the application. A room comes into being with its first member.
 *
 * <p>An empty room is kept, with its history and its seq, for the linger time
 * ({@code duplex.chat.room-linger}, default 10 minutes), so that someone whose connection
 * dropped while alone in the room comes back to the same seq and recovers with {@code since}.
 * After that the room and its history are dropped: memory stays bounded by the rooms in use,
 * not by every name ever tried. The number of rooms is capped ({@code duplex.chat.max-rooms});
 * past it, a new room is refused (close 1013) while existing rooms keep working.
 */
public final class Rooms implements AutoCloseable {

    public record Limits(int historyLimit, Duration linger, int maxRooms) {
    }

    private final Limits limits;
    private final Clock clock;
    private final Map<String, Room> rooms = new ConcurrentHashMap<>();
    private final ScheduledFuture<?> sweeper;
    private final LongConsumer fanOut;
    /** Where each room's seq, history and members live: this JVM, or Redis for a cluster. */
    private final Bus bus;

    public Rooms(Limits limits, Clock clock, ScheduledExecutorService scheduler) {
        this(limits, clock, scheduler, nanos -> { }, new LocalBus());
    }

    /** With {@code fanOut}: told how long each broadcast took to queue to every member, in nanoseconds. */
    public Rooms(Limits limits, Clock clock, ScheduledExecutorService scheduler, LongConsumer fanOut, Bus bus) {
        this.bus = bus;
        this.limits = limits;
        this.clock = clock;
        this.fanOut = fanOut;
        long every = sweepInterval(limits.linger()).toMillis();
        this.sweeper = scheduler.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.MILLISECONDS);
    }

    static Duration sweepInterval(Duration linger) {
        Duration quarter = linger.dividedBy(4);
        return quarter.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1)
                : quarter.compareTo(Duration.ofSeconds(30)) > 0 ? Duration.ofSeconds(30) : quarter;
    }

    /** What {@link #join} came to: in the room, or refused and why. */
    public sealed interface Join {

        record Joined(Room room) implements Join {
        }

        record Refused(Refusal why) implements Join {
        }
    }

    public enum Refusal {
        /** The room does not exist and there are already {@code maxRooms}. */
        TOO_MANY_ROOMS,
        /** The chosen name looks like a signed-in member's in the room. */
        NAME_OF_A_SIGNED_IN_MEMBER,
        /** The participant's outbox did not take the welcome: the connection is closing. */
        WELCOME_REFUSED
    }

    /** Puts the participant into the named room (created if needed), its welcome first. */
    public Join join(String name, Participant participant, OptionalLong since) {
        while (true) {
            Room room = rooms.get(name);
            if (room == null) {
                if (rooms.size() >= limits.maxRooms()) {
                    return new Join.Refused(Refusal.TOO_MANY_ROOMS);
                }
                // Throws BusUnavailableException when the room's state is in Redis and Redis cannot be reached.
                room = rooms.computeIfAbsent(name, n -> new Room(n, limits.historyLimit(), clock, fanOut, bus));
            }
            switch (room.join(participant, since)) {
                case JOINED:
                    return new Join.Joined(room);
                case NAME_OF_A_SIGNED_IN_MEMBER:
                    return new Join.Refused(Refusal.NAME_OF_A_SIGNED_IN_MEMBER);
                case WELCOME_REFUSED:
                    return new Join.Refused(Refusal.WELCOME_REFUSED);
                case RETIRED:
                    break;
            }
            rooms.remove(name, room); // retired under our feet: help the sweeper, then try again
        }
    }

    public void leave(Room room, Participant participant) {
        room.leave(participant);
        if (limits.linger().isZero() && room.retireIfIdle(System.nanoTime(), 0)) {
            rooms.remove(room.name(), room);
        }
    }

    /** Rooms that exist, lingering empty ones included (what {@code duplex.chat.max-rooms} caps). */
    public int count() {
        return rooms.size();
    }

    /** Rooms with at least one member. */
    public int occupied() {
        return (int) rooms.values().stream().filter(room -> room.size() > 0).count();
    }

    public Optional<Room> find(String name) {
        return Optional.ofNullable(rooms.get(name));
    }

    void sweep() {
        long now = System.nanoTime();
        long linger = limits.linger().toNanos();
        rooms.values().removeIf(room -> room.retireIfIdle(now, linger));
    }

    @Override
    public void close() {
        sweeper.cancel(false);
    }
}
