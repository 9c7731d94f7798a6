package duplex.quotes;

import duplex.delivery.Frame;
import duplex.delivery.Outbox;
import duplex.protocol.ErrorCode;
import duplex.protocol.ErrorMessage;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;

/**
 * Who is subscribed to what, and the path from the feed to their outboxes.
 *
 * <p>Each tick is encoded once into a {@link Frame} that every subscriber of the symbol shares,
 * and handed to each outbox with {@link Outbox#sendLatest} keyed by the symbol: per client and
 * symbol at most one update waits, a newer one replaces it (conflation). A stalled client so
 * costs at most one frame per subscribed symbol, whatever the tick rate, and reads current
 * prices when it catches up; the others are not slowed by it.
 *
 * <p>The feed runs only while at least one client is subscribed to at least one symbol.
 *
 * <p>One lock orders everything: a subscribe's snapshot is queued before any tick that follows
 * it, and no tick for a symbol is queued after the {@code unsubscribed} that drops it. The feed
 * thread takes the lock interruptibly, so stopping the feed under the lock cannot deadlock.
 */
public final class QuoteHub implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(QuoteHub.class.getName());

    /** Name prefix of the feed's thread. */
    public static final String FEED_THREAD = "duplex-quotes-feed";

    private final Feed feed;
    private final Set<String> universe;
    private final Frame symbolsFrame;
    private final ReentrantLock lock = new ReentrantLock();
    /** Guarded by {@link #lock}. */
    private final Map<String, Quote> latest = new HashMap<>();
    /** Guarded by {@link #lock}. */
    private final Map<String, Set<Subscriber>> bySymbol = new HashMap<>();
    /** Guarded by {@link #lock}. */
    private final Set<Subscriber> members = new LinkedHashSet<>();
    /** (client, symbol) pairs; the feed runs while this is above zero. Guarded by {@link #lock}. */
    private int subscriptions;
    /** Guarded by {@link #lock}. */
    private boolean closed;

    private final LongAdder ticks = new LongAdder();
    private final LongAdder conflated = new LongAdder();

    public QuoteHub(Feed feed) {
        this.feed = feed;
        this.universe = Set.copyOf(feed.symbols());
        this.symbolsFrame = Frame.text(QuotesEncoder.toJson(new QuotesEvent.Symbols(feed.symbols())));
        feed.current().forEach(quote -> latest.put(quote.symbol(), quote));
    }

    /** One client of {@code /quotes}: its outbox and what it is subscribed to. */
    public final class Subscriber {
        private final Outbox outbox;
        /** Guarded by the hub's lock. */
        private final Set<String> symbols = new LinkedHashSet<>();

        private Subscriber(Outbox outbox) {
            this.outbox = outbox;
        }

        public Outbox outbox() {
            return outbox;
        }
    }

    /** A client's figures, for tests and operations. */
    public record SubscriberStats(String sessionId, int symbols, int pendingUpdates, int pendingMessages,
                                  long pendingBytes, long conflated) {
    }

    public List<String> symbols() {
        return feed.symbols();
    }

    /** A new client: registers it and sends it the {@code symbols} message. */
    public Subscriber join(Outbox outbox) {
        Subscriber subscriber = new Subscriber(outbox);
        lock.lock();
        try {
            members.add(subscriber);
        } finally {
            lock.unlock();
        }
        outbox.send(symbolsFrame);
        return subscriber;
    }

    /**
     * Adds symbols ({@code *}: all) to a client's subscription and sends the {@code snapshot} of
     * those it did not have yet (possibly none: the snapshot is also the acknowledgement). An
     * unknown symbol fails the whole request with an {@code invalid} error; nothing changes.
     */
    public void subscribe(Subscriber subscriber, List<String> requested) {
        List<String> symbols = resolve(subscriber, requested);
        if (symbols == null) {
            return;
        }
        lock.lock();
        try {
            if (closed || !members.contains(subscriber)) {
                return;
            }
            List<Quote> snapshot = new ArrayList<>();
            for (String symbol : symbols) {
                if (subscriber.symbols.add(symbol)) {
                    bySymbol.computeIfAbsent(symbol, s -> new LinkedHashSet<>()).add(subscriber);
                    subscriptions++;
                    snapshot.add(latest.get(symbol));
                }
            }
            if (subscriptions > 0 && !feed.isRunning()) {
                feed.start(this::publish); // its ticks wait for the lock, so they follow the snapshot
                LOG.log(System.Logger.Level.INFO, "quote feed started: {0} symbols", feed.symbols().size());
            }
            subscriber.outbox.send(Frame.text(QuotesEncoder.toJson(new QuotesEvent.Snapshot(snapshot))));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes symbols ({@code *}: all) from a client's subscription, drops their unsent updates
     * and answers {@code unsubscribed}: no quote for them follows it. Symbols it was not
     * subscribed to are ignored; an unknown symbol fails the request with an {@code invalid} error.
     */
    public void unsubscribe(Subscriber subscriber, List<String> requested) {
        List<String> symbols = resolve(subscriber, requested);
        if (symbols == null) {
            return;
        }
        lock.lock();
        try {
            if (closed || !members.contains(subscriber)) {
                return;
            }
            for (String symbol : symbols) {
                drop(subscriber, symbol);
            }
            subscriber.outbox.send(Frame.text(QuotesEncoder.toJson(new QuotesEvent.Unsubscribed(symbols))));
            stopFeedIfIdle();
        } finally {
            lock.unlock();
        }
    }

    /** The client is gone: forget it and everything it was subscribed to. */
    public void leave(Subscriber subscriber) {
        lock.lock();
        try {
            if (members.remove(subscriber)) {
                for (String symbol : List.copyOf(subscriber.symbols)) {
                    drop(subscriber, symbol);
                }
                stopFeedIfIdle();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Ticks received from the feed. */
    public long ticks() {
        return ticks.sum();
    }

    /** Updates never sent because a newer one for the same client and symbol replaced them. */
    public long conflatedUpdates() {
        return conflated.sum();
    }

    public boolean feedRunning() {
        return feed.isRunning();
    }

    public List<SubscriberStats> subscribers() {
        lock.lock();
        try {
            return members.stream().map(s -> new SubscriberStats(s.outbox.id(), s.symbols.size(),
                    s.outbox.pendingLatest(), s.outbox.pendingMessages(), s.outbox.pendingBytes(),
                    s.outbox.conflated())).collect(Collectors.toList());
        } finally {
            lock.unlock();
        }
    }

    /** Stops the feed for good and waits for its thread to end; later subscribes do nothing. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            members.clear();
            bySymbol.clear();
            subscriptions = 0;
            feed.stop();
        } finally {
            lock.unlock();
        }
    }

    /** Called on the feed's thread with each batch of changed quotes. */
    private void publish(List<Quote> batch) {
        try {
            lock.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the feed is being stopped
            return;
        }
        try {
            if (closed) {
                return;
            }
            for (Quote quote : batch) {
                ticks.increment();
                latest.put(quote.symbol(), quote);
                Set<Subscriber> subscribers = bySymbol.get(quote.symbol());
                if (subscribers == null || subscribers.isEmpty()) {
                    continue;
                }
                Frame frame = Frame.text(QuotesEncoder.toJson(new QuotesEvent.Update(quote))); // once for all
                for (Subscriber subscriber : subscribers) {
                    if (subscriber.outbox.sendLatest(quote.symbol(), frame) == Outbox.Offered.REPLACED) {
                        conflated.increment();
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void drop(Subscriber subscriber, String symbol) {
        if (subscriber.symbols.remove(symbol)) {
            Set<Subscriber> subscribers = bySymbol.get(symbol);
            subscribers.remove(subscriber);
            if (subscribers.isEmpty()) {
                bySymbol.remove(symbol);
            }
            subscriptions--;
            subscriber.outbox.discardLatest(symbol);
        }
    }

    private void stopFeedIfIdle() {
        if (subscriptions == 0 && feed.isRunning()) {
            feed.stop();
            LOG.log(System.Logger.Level.INFO, "quote feed stopped: nobody subscribed");
        }
    }

    /**
     * The symbols a request names, {@code *} expanded, in the feed's order for {@code *} and the
     * client's order otherwise; or null after sending the error for unknown symbols.
     */
    private List<String> resolve(Subscriber subscriber, List<String> requested) {
        if (requested.contains(QuotesRequest.ALL)) {
            return feed.symbols();
        }
        List<String> unknown = requested.stream().filter(s -> !universe.contains(s)).collect(Collectors.toList());
        if (!unknown.isEmpty()) {
            String names = unknown.stream().limit(5).map(s -> "\"" + s + "\"").collect(Collectors.joining(", "))
                    + (unknown.size() > 5 ? " and " + (unknown.size() - 5) + " more" : "");
            subscriber.outbox.send(Frame.text(new ErrorMessage(ErrorCode.INVALID,
                    (unknown.size() == 1 ? "unknown symbol " : "unknown symbols ") + names).toJson()));
            return null;
        }
        return requested;
    }
}
