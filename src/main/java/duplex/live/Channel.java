package duplex.live;

import duplex.bus.Bus;
import duplex.bus.Member;
import duplex.bus.Post;
import duplex.bus.Posted;
import duplex.bus.RoomLink;
import duplex.bus.RoomListener;
import duplex.bus.RoomSnapshot;
import duplex.delivery.Fanout;
import duplex.delivery.Frame;
import duplex.delivery.Outbox;
import duplex.guard.MemoryBudget;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One channel on this node: its subscribers here, its recent history, and its link to the
 * channel's traffic on the {@link Bus}, which gives every publication its seq (in-process, or
 * across the cluster through Redis) and delivers it back to every node in seq order.
 *
 * <p>The channel's state changes only under its own lock, its serial section: a subscriber's
 * {@code subscribed} answer (with the history it missed) and its registration happen together,
 * so it sees every publication after it exactly once, and every subscriber on every node sees
 * the same order. Holding the lock is cheap: outboxes only queue, and a publication's JSON is
 * written once per node.
 *
 * <p>History: at most the namespace's {@code history} publications, none older than its
 * {@code historyAge}; its memory is charged to the budget under {@link #HISTORY} and the oldest
 * is evicted when the live history in all exceeds its share.
 */
final class Channel implements RoomListener {

    private static final System.Logger LOG = System.getLogger(Channel.class.getName());

    /** Whom the history of every channel is charged to in the memory budget. */
    static final String HISTORY = "live-history";
    /** Authors whose id starts with this published through the HTTP API: shown without {@code from}. */
    static final String API_AUTHOR = "api:";

    private final ChannelName name;
    private final Namespace policy;
    private final Clock clock;
    private final MemoryBudget budget;
    private final long historyMemory;
    private final Fanout fanout;
    private final Object lock = new Object();
    /** Subscribers on this node by connection id, in the order they came. */
    private final Map<String, Subscriber> subscribers = new LinkedHashMap<>();
    /** {@link #subscribers} as an array for broadcasts, rebuilt after a change (null: stale). */
    private Subscriber[] recipients;
    private volatile int subscriberCount;
    private final ArrayDeque<Held> history = new ArrayDeque<>();
    private volatile long lastSeq;
    private volatile String epoch;
    /** Completes once the bus has opened the channel, with its link or the reason it could not. */
    private final CompletableFuture<RoomLink> opened;
    private boolean retired;
    private volatile long emptySince = System.nanoTime();
    private final Presence presence;
    /** Presence changes not yet announced, by member id, in the order they happened. */
    private final Map<String, Member> joinedPending = new LinkedHashMap<>();
    private final Map<String, Member> leftPending = new LinkedHashMap<>();
    private boolean presenceScheduled;

    /**
     * How subscribers of a presence namespace hear of each other.
     *
     * @param tick      joins and leaves are gathered this long into one {@code presence} message
     * @param scheduler where the announcement is scheduled
     * @param listed    most members a {@code subscribed} answer lists (the count is always there)
     */
    record Presence(java.time.Duration tick, java.util.concurrent.ScheduledExecutorService scheduler, int listed) {
    }

    /** A connection subscribed here; {@code member} is what presence shows of it. */
    record Subscriber(Outbox outbox, Member member) {
    }

    private record Held(long seq, String json, Instant at, long bytes) {
    }

    /** What {@link #subscribe} did. */
    enum Subscribed { YES, REFUSED_BY_OUTBOX, RETIRED, UNAVAILABLE }

    Channel(ChannelName name, Namespace policy, Bus bus, Clock clock, MemoryBudget budget, long historyMemory, Fanout fanout,
            Presence presence) {
        this.presence = presence;
        this.name = name;
        this.policy = policy;
        this.clock = clock;
        this.budget = budget;
        this.historyMemory = historyMemory;
        this.fanout = fanout;
        // Never waits: Redis may be slow, and this runs on a container thread (a first subscribe).
        this.opened = bus.open(busName(name), policy.history(), this);
    }

    /** The bus room of a channel; chat rooms cannot contain ':', so the two never meet. */
    static String busName(ChannelName name) {
        return "live:" + name.name();
    }

    ChannelName name() {
        return name;
    }

    Namespace policy() {
        return policy;
    }

    int subscribers() {
        return subscriberCount;
    }

    long lastSeq() {
        return lastSeq;
    }

    /** Null until the bus opened the channel. */
    String epoch() {
        return epoch;
    }

    long emptySince() {
        return emptySince;
    }

    /** Completes once the channel is open; exceptionally if the bus could not open it. */
    CompletableFuture<Channel> whenOpen() {
        return opened.thenApply(link -> this);
    }

    /**
     * Sends the subscriber its {@code subscribed} answer (with what it missed since {@code since},
     * or the recent history) and registers it, in one step; call once the channel is open.
     */
    Subscribed subscribe(Subscriber subscriber, Optional<LiveRequest.Since> since) {
        RoomLink link = opened.getNow(null);
        if (link == null) {
            return Subscribed.UNAVAILABLE;
        }
        synchronized (lock) {
            if (retired) {
                return Subscribed.RETIRED;
            }
            trimByAge();
            long seq = lastSeq;
            // Only a seq of this epoch that was given out says where the client left off.
            boolean sameStream = since.isPresent() && since.get().epoch().equals(epoch) && since.get().seq() <= seq;
            long after = sameStream ? since.get().seq() : 0;
            List<String> replay = new ArrayList<>();
            for (Held held : history) {
                if (held.seq() > after) {
                    replay.add(held.json());
                }
            }
            Boolean recovered = since.isEmpty() ? null : sameStream && replay.size() == seq - after;
            String answer = LiveMessages.subscribed(name.name(), epoch, seq, replay, recovered);
            if (policy.presence()) {
                List<Member> everyone = new ArrayList<>(link.members());
                everyone.add(subscriber.member());
                answer = LiveMessages.withMembers(answer, everyone, presence.listed());
            }
            // The answer first (its own join is announced after it, to it too), then registered and
            // present, all under the lock: nothing is delivered in between, and whoever asks for the
            // presence (also under the lock) after hearing of the subscription finds it.
            if (!subscriber.outbox().send(Frame.text(answer))) {
                return Subscribed.REFUSED_BY_OUTBOX;
            }
            subscribers.put(subscriber.outbox().id(), subscriber);
            subscriberCount = subscribers.size();
            recipients = null;
            if (policy.presence()) {
                link.join(subscriber.member());
            }
            return Subscribed.YES;
        }
    }

    /** Removes the connection; false if it was not subscribed. */
    boolean unsubscribe(String connectionId) {
        synchronized (lock) {
            Subscriber gone = subscribers.remove(connectionId);
            if (gone == null) {
                return false;
            }
            subscriberCount = subscribers.size();
            recipients = null;
            if (subscribers.isEmpty()) {
                emptySince = System.nanoTime();
            }
            RoomLink link = opened.getNow(null);
            if (policy.presence() && link != null) {
                link.leave(gone.member());
            }
            return true;
        }
    }

    /**
     * Offers a publication. Completes with its seq and epoch once the bus accepted it (it is then
     * in the history and on its way to every subscriber on every node), or exceptionally with
     * {@link duplex.bus.BusUnavailableException}: then nobody will ever see it.
     */
    CompletableFuture<Published> publish(Member author, String data) {
        Instant at = clock.instant();
        return opened.thenCompose(link -> link.post(new Post(author, data, at)))
                .thenApply(seq -> new Published(seq, epoch));
    }

    /** Everyone subscribed on any node, when the namespace keeps presence (empty otherwise). */
    List<Member> presence() {
        synchronized (lock) {
            RoomLink link = opened.getNow(null);
            return link == null || !policy.presence() ? List.of() : link.members();
        }
    }

    /** The history after {@code since} (0: all of it), oldest first, at most {@code limit}, as pub JSON. */
    List<String> history(long since, int limit) {
        synchronized (lock) {
            trimByAge();
            List<String> out = new ArrayList<>();
            for (Held held : history) {
                if (held.seq() > since && out.size() < limit) {
                    out.add(held.json());
                }
            }
            return out;
        }
    }

    /** Retires the channel if nobody here has been subscribed for {@code lingerNanos}: it closes its link and gives its memory back. */
    boolean retireIfIdle(long now, long lingerNanos) {
        if (!opened.isDone()) {
            return false;
        }
        synchronized (lock) {
            if (!retired && subscribers.isEmpty() && now - emptySince >= lingerNanos) {
                retired = true;
                RoomLink link = opened.getNow(null);
                if (link != null) {
                    link.close();
                }
                while (!history.isEmpty()) {
                    release(history.removeFirst());
                }
            }
            return retired;
        }
    }

    /** Connections subscribed here (for a disconnect through the API). */
    List<Outbox> outboxes() {
        synchronized (lock) {
            List<Outbox> out = new ArrayList<>(subscribers.size());
            subscribers.values().forEach(s -> out.add(s.outbox()));
            return out;
        }
    }

    // RoomListener: what the bus reports, one call at a time.

    @Override
    public void loaded(RoomSnapshot snapshot) {
        synchronized (lock) {
            epoch = snapshot.epoch();
            lastSeq = Math.max(lastSeq, snapshot.lastSeq());
            for (Posted posted : snapshot.history()) {
                hold(posted, json(posted));
            }
        }
    }

    @Override
    public void posted(Posted posted) {
        synchronized (lock) {
            lastSeq = posted.seq();
            String json = json(posted);
            broadcast(Frame.text(json));
            hold(posted, json);
        }
    }

    private String json(Posted posted) {
        Member from = posted.author().id().startsWith(API_AUTHOR) ? null : posted.author();
        return LiveMessages.pub(name.name(), posted.seq(), epoch, posted.body(), posted.at(), from);
    }

    /** To every subscriber here; one whose outbox refuses (closing, cut off) is dropped. Lock held. */
    private void broadcast(Frame frame) {
        if (recipients == null) {
            recipients = subscribers.values().toArray(Subscriber[]::new);
        }
        List<Subscriber> dropped = null;
        Fanout.Round round = fanout.round();
        for (Subscriber s : recipients) {
            boolean accepted;
            try {
                // Conflated: a subscriber that is behind gets the newest publication, not every one.
                accepted = policy.conflate() ? s.outbox().sendLatest(name.name(), frame) != Outbox.Offered.REFUSED
                        : round.add(s.outbox(), frame);
            } catch (RuntimeException e) {
                accepted = false; // one broken connection must not stop delivery to the rest
            }
            if (!accepted) {
                dropped = dropped == null ? new ArrayList<>() : dropped;
                dropped.add(s);
            }
        }
        round.finish();
        if (dropped != null) {
            dropped.forEach(s -> unsubscribe(s.outbox().id()));
        }
    }

    private void hold(Posted posted, String json) {
        if (policy.history() == 0) {
            return;
        }
        long bytes = MemoryBudget.ofText(json.length()) + 64;
        budget.charge(HISTORY, bytes);
        history.addLast(new Held(posted.seq(), json, posted.at(), bytes));
        while (history.size() > policy.history()) {
            release(history.removeFirst());
        }
        // The live history of all channels together stays within its share: the oldest here goes first.
        while (history.size() > 1 && budget.used(HISTORY) > historyMemory) {
            release(history.removeFirst());
        }
        trimByAge();
    }

    private void trimByAge() {
        Instant oldest = clock.instant().minus(policy.historyAge());
        while (!history.isEmpty() && history.peekFirst().at().isBefore(oldest)) {
            release(history.removeFirst());
        }
    }

    private void release(Held held) {
        budget.release(HISTORY, held.bytes());
    }

    static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    @Override
    public void joined(Member member) {
        synchronized (lock) {
            if (leftPending.remove(member.id()) == null) {
                joinedPending.put(member.id(), member);
            }
            presenceChanged();
        }
    }

    @Override
    public void left(Member member) {
        synchronized (lock) {
            if (joinedPending.remove(member.id()) == null) {
                leftPending.put(member.id(), member);
            }
            presenceChanged();
        }
    }

    /** Lock held: announces now (no tick) or makes sure the tick's announcement is scheduled. */
    private void presenceChanged() {
        if (presence.tick().isZero()) {
            announcePresence();
        } else if (!presenceScheduled) {
            presenceScheduled = true;
            try {
                presence.scheduler().schedule(() -> {
                    synchronized (lock) {
                        presenceScheduled = false;
                        announcePresence();
                    }
                }, presence.tick().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                presenceScheduled = false; // shutting down: nobody is left to tell
            }
        }
    }

    /**
     * One {@code presence} message with the tick's joins and leaves, to every subscriber here
     * (a member who joined and left within one tick is not announced). Lock held.
     */
    private void announcePresence() {
        if (joinedPending.isEmpty() && leftPending.isEmpty()) {
            return;
        }
        String json = LiveMessages.presence(name.name(), new ArrayList<>(joinedPending.values()), new ArrayList<>(leftPending.values()));
        joinedPending.clear();
        leftPending.clear();
        broadcastPlain(Frame.text(json));
    }

    /** A frame every subscriber must get (never conflated away). Lock held. */
    private void broadcastPlain(Frame frame) {
        if (recipients == null) {
            recipients = subscribers.values().toArray(Subscriber[]::new);
        }
        Fanout.Round round = fanout.round();
        for (Subscriber s : recipients) {
            try {
                round.add(s.outbox(), frame);
            } catch (RuntimeException e) {
                // a broken connection is dropped by the next publication, or its close
            }
        }
        round.finish();
    }

    @Override
    public void renamed(Member member, String previousName) {
    }

    static void logFailure(ChannelName name, Throwable failure) {
        LOG.log(System.Logger.Level.DEBUG, "channel {0}: {1}", name, unwrap(failure).toString());
    }
}
