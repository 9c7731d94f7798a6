package duplex.chat;

import duplex.delivery.Frame;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.LongConsumer;

/**
 * One chat room: its members, its message counter and its recent history.
 *
 * <p>Ordering: everything that changes the room (join, say, rename, leave) happens under one
 * lock, and within it each message gets its {@code seq} and is queued to every member's outbox
 * before the next one starts. So every member sees the same order, and a joiner's welcome comes
 * before anything that happened after it. Holding the lock is cheap: {@link
 * duplex.delivery.Outbox#send} only queues; the JSON is written once per broadcast.
 *
 * <p>A member whose outbox refuses a frame (it is closed, or was just cut off as a slow consumer)
 * is removed at once and announced as {@code left}, instead of waiting for its close handshake,
 * which towards a stalled peer can take the whole send timeout.
 */
public final class Room {

    private final String name;
    private final int historyLimit;
    private final Clock clock;
    private final Object lock = new Object();
    private final Map<String, Participant> members = new LinkedHashMap<>();
    private final ArrayDeque<ServerMessage.Message> history = new ArrayDeque<>();
    private long seq;
    /** Set when the registry dropped this room; a joiner then asks the registry again. */
    private boolean retired;
    private long emptySince;

    private final LongConsumer fanOut;

    Room(String name, int historyLimit, Clock clock, LongConsumer fanOut) {
        this.fanOut = fanOut;
        this.name = name;
        this.historyLimit = historyLimit;
        this.clock = clock;
        this.emptySince = System.nanoTime();
    }

    public String name() {
        return name;
    }

    public int size() {
        synchronized (lock) {
            return members.size();
        }
    }

    /** The last seq given out (0: no message yet). */
    public long lastSeq() {
        synchronized (lock) {
            return seq;
        }
    }

    /**
     * Sends the welcome to the newcomer, then announces it to the others. Returns false, having
     * done nothing, if this room was retired meanwhile (the caller asks the registry again), or
     * if the newcomer's outbox did not take the welcome.
     */
    boolean join(Participant newcomer, OptionalLong since) {
        synchronized (lock) {
            if (retired) {
                return false;
            }
            List<Member> present = new ArrayList<>(members.size() + 1);
            members.values().forEach(p -> present.add(p.member()));
            present.add(newcomer.member());
            Boolean recovered = null;
            List<ServerMessage.Message> replay = new ArrayList<>(history);
            if (since.isPresent()) {
                long after = since.getAsLong();
                if (after > seq) {
                    // A seq this room never gave out: it was dropped and started again since.
                    recovered = false;
                } else {
                    replay.removeIf(m -> m.seq() <= after);
                    recovered = replay.size() == seq - after;
                }
            }
            ServerMessage.Welcome welcome = new ServerMessage.Welcome(name, newcomer.member(), present, replay, recovered);
            if (!newcomer.outbox().send(frame(welcome))) {
                return false;
            }
            members.put(newcomer.id(), newcomer);
            broadcast(new ServerMessage.Joined(newcomer.member()), newcomer);
            return true;
        }
    }

    /** Gives the text the next seq, keeps it in the history, and sends it to every member, the sender included. */
    void say(Participant sender, String text) {
        synchronized (lock) {
            if (!members.containsKey(sender.id())) {
                return; // already removed (cut off, or leaving); nobody will see this
            }
            seq++;
            ServerMessage.Message message = new ServerMessage.Message(name, seq, sender.member(), text, clock.instant());
            if (historyLimit > 0) {
                history.addLast(message);
                while (history.size() > historyLimit) {
                    history.removeFirst();
                }
            }
            broadcast(message, null);
        }
    }

    void rename(Participant participant, String newName) {
        synchronized (lock) {
            if (!members.containsKey(participant.id())) {
                return;
            }
            String previous = participant.name();
            participant.rename(newName);
            broadcast(new ServerMessage.Renamed(participant.member(), previous), null);
        }
    }

    /** Removes the participant and tells the others; a second call (the close after a cut-off) does nothing. */
    void leave(Participant participant) {
        synchronized (lock) {
            if (members.remove(participant.id()) != null) {
                markIfEmpty();
                broadcast(new ServerMessage.Left(participant.member()), null);
            }
        }
    }

    boolean isRetired() {
        synchronized (lock) {
            return retired;
        }
    }

    /** Retires the room if it has been empty for at least {@code lingerNanos}; a retired room takes no one. */
    boolean retireIfIdle(long now, long lingerNanos) {
        synchronized (lock) {
            if (!retired && members.isEmpty() && now - emptySince >= lingerNanos) {
                retired = true;
            }
            return retired;
        }
    }

    /**
     * Queues one frame, encoded once, to every member but {@code except}. Members whose outbox
     * refuses it are removed, and their departure is announced the same way, until no one else
     * drops out. Called with the lock held.
     */
    private void broadcast(ServerMessage message, Participant except) {
        long started = System.nanoTime();
        List<ServerMessage> pending = new ArrayList<>();
        pending.add(message);
        for (int i = 0; i < pending.size(); i++) {
            Frame frame = frame(pending.get(i));
            List<Participant> dropped = null;
            // A snapshot: a container may run another session's close on this very thread (inside
            // a failing send), and that close leaves the room, re-entering this lock.
            for (Participant member : List.copyOf(members.values())) {
                if (member == except) {
                    continue;
                }
                boolean accepted;
                try {
                    accepted = member.outbox().send(frame);
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
            if (dropped != null) {
                for (Participant gone : dropped) {
                    if (members.remove(gone.id()) != null) {
                        pending.add(new ServerMessage.Left(gone.member()));
                    }
                }
                markIfEmpty();
            }
            except = null;
        }
        fanOut.accept(System.nanoTime() - started);
    }

    private void markIfEmpty() {
        if (members.isEmpty()) {
            emptySince = System.nanoTime();
        }
    }

    private static Frame frame(ServerMessage message) {
        return Frame.text(ServerMessageEncoder.toJson(message));
    }
}
