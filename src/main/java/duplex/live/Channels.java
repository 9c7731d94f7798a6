package duplex.live;

import duplex.bus.Bus;
import duplex.bus.Member;
import duplex.delivery.Fanout;
import duplex.guard.MemoryBudget;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The channels of this node, by name: opened by the first subscriber or publication, retired
 * after {@link Limits#linger} without subscribers here (the bus and, in a cluster, Redis keep
 * the sequence and the history for the channel's next life). Both the {@code /live} endpoint and
 * the HTTP API go through here, so a publication means the same whoever makes it.
 */
public final class Channels implements AutoCloseable {

    /**
     * @param maxChannels    channels open on this node at once; past it a new one is refused ({@code limit}, 503)
     * @param linger         how long a channel without subscribers stays open
     * @param historyMemory  heap the history of every channel together may hold
     * @param presenceTick   joins and leaves of a presence namespace are gathered this long into one message
     * @param membersListed  most members a {@code subscribed} answer of a presence namespace lists
     */
    public record Limits(int maxChannels, Duration linger, long historyMemory, Duration presenceTick, int membersListed) {
    }

    /** Why a channel could not be had. */
    public enum Refusal { NO_SUCH_NAMESPACE, TOO_MANY_CHANNELS }

    /** A channel, or why not. */
    public sealed interface Lookup {
        record Found(Channel channel) implements Lookup {
        }

        record Refused(Refusal why) implements Lookup {
        }
    }

    private final Namespaces namespaces;
    private final Bus bus;
    private final MemoryBudget budget;
    private final Fanout fanout;
    private final Clock clock;
    private final Limits limits;
    private final ConcurrentHashMap<String, Channel> open = new ConcurrentHashMap<>();
    private final ScheduledFuture<?> sweeper;
    private final Channel.Presence presence;

    /** Where subscribes and unsubscribes take their turns: the application's own threads, never the container's. */
    private final java.util.concurrent.Executor turns;

    public Channels(Namespaces namespaces, Bus bus, MemoryBudget budget, Fanout fanout, Clock clock, Limits limits,
                    ScheduledExecutorService scheduler, java.util.concurrent.Executor turns) {
        this.turns = turns;
        this.namespaces = namespaces;
        this.bus = bus;
        this.budget = budget;
        this.fanout = fanout;
        this.clock = clock;
        this.limits = limits;
        this.presence = new Channel.Presence(limits.presenceTick(), scheduler, limits.membersListed());
        long every = Math.max(100, Math.min(limits.linger().toMillis(), 5000));
        this.sweeper = scheduler.scheduleWithFixedDelay(this::retireIdle, every, every, TimeUnit.MILLISECONDS);
    }

    java.util.concurrent.Executor turns() {
        return turns;
    }

    public Optional<Namespace> namespace(ChannelName name) {
        return namespaces.of(name);
    }

    /** The channel, opened now if this node does not have it yet. */
    Lookup open(ChannelName name) {
        Optional<Namespace> policy = namespaces.of(name);
        if (policy.isEmpty()) {
            return new Lookup.Refused(Refusal.NO_SUCH_NAMESPACE);
        }
        Channel existing = open.get(name.name());
        if (existing != null) {
            return new Lookup.Found(existing);
        }
        if (open.size() >= limits.maxChannels()) {
            return new Lookup.Refused(Refusal.TOO_MANY_CHANNELS);
        }
        Channel channel = open.computeIfAbsent(name.name(),
                n -> new Channel(name, policy.get(), bus, clock, budget, limits.historyMemory(), fanout, presence));
        // A channel the bus could not open is forgotten, so that the next request tries again.
        channel.whenOpen().exceptionally(failure -> {
            Channel.logFailure(name, failure);
            open.remove(name.name(), channel);
            return null;
        });
        return new Lookup.Found(channel);
    }

    /** The channel if it is open on this node. */
    Optional<Channel> find(ChannelName name) {
        return Optional.ofNullable(open.get(name.name()));
    }

    /**
     * Publishes {@code data} (JSON text) to the channel, opening it if needed: completes with its
     * seq and epoch, or exceptionally ({@link duplex.bus.BusUnavailableException}, or
     * {@link RefusedException} when the channel cannot be had).
     */
    public CompletableFuture<Published> publish(ChannelName name, Member author, String data) {
        Lookup lookup = open(name);
        if (lookup instanceof Lookup.Refused refused) {
            return CompletableFuture.failedFuture(new RefusedException(refused.why()));
        }
        return ((Lookup.Found) lookup).channel().publish(author, data);
    }

    /** A channel could not be had: {@link Refusal} says why. */
    public static final class RefusedException extends RuntimeException {
        private final Refusal why;

        RefusedException(Refusal why) {
            super(why.name(), null, false, false);
            this.why = why;
        }

        public Refusal why() {
            return why;
        }
    }

    /** A channel open on this node: its subscribers here, its last seq and epoch. */
    public record Info(String channel, int subscribers, long seq, String epoch) {
    }

    /** Open channels on this node, by name (those still opening left out). */
    public List<Info> active() {
        List<Info> list = new ArrayList<>();
        for (Channel c : open.values()) {
            if (c.epoch() != null) {
                list.add(new Info(c.name().name(), c.subscribers(), c.lastSeq(), c.epoch()));
            }
        }
        list.sort(Comparator.comparing(Info::channel));
        return list;
    }

    /** A channel's history after a seq: its publications as pub JSON, oldest first. */
    public record History(String channel, String epoch, long seq, List<String> publications) {
    }

    /** The history after {@code since}, at most {@code limit}; opens the channel here if needed. */
    public CompletableFuture<History> history(ChannelName name, long since, int limit) {
        return whenOpen(name).thenApply(c -> new History(name.name(), c.epoch(), c.lastSeq(), c.history(since, limit)));
    }

    /** Everyone subscribed to the channel on any node (its namespace must keep presence). */
    public CompletableFuture<List<Member>> presence(ChannelName name) {
        return whenOpen(name).thenApply(Channel::presence);
    }

    private CompletableFuture<Channel> whenOpen(ChannelName name) {
        Lookup lookup = open(name);
        if (lookup instanceof Lookup.Refused refused) {
            return CompletableFuture.failedFuture(new RefusedException(refused.why()));
        }
        return ((Lookup.Found) lookup).channel().whenOpen();
    }

    public int size() {
        return open.size();
    }

    private void retireIdle() {
        long now = System.nanoTime();
        long linger = limits.linger().toNanos();
        for (Channel channel : open.values()) {
            if (channel.retireIfIdle(now, linger)) {
                open.remove(channel.name().name(), channel);
            }
        }
    }

    @Override
    public void close() {
        sweeper.cancel(false);
        for (Channel channel : open.values()) {
            channel.retireIfIdle(System.nanoTime(), 0);
        }
        open.clear();
    }
}
