package duplex.quotes;

import duplex.bus.Bus;
import duplex.bus.Leadership;
import duplex.bus.Topic;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One feed for the whole cluster. Every node that has subscribers competes for the feed's lease
 * ({@link Bus#lead}); the winner runs the real source and publishes each batch on a cluster topic,
 * and every node, the leader included, hands the batches it receives from the topic to its
 * {@link QuoteHub}. So all nodes show the same prices, ticking once. When the leader dies or
 * loses Redis, another node with subscribers takes over within the node timeout, continuing from
 * the last prices the cluster saw.
 */
public final class ClusterFeed implements Feed {

    static final String TOPIC = "quotes";
    static final String LEASE = "quotes-feed";
    private static final System.Logger LOG = System.getLogger(ClusterFeed.class.getName());

    private final Feed source;
    private final Bus bus;
    private volatile List<Quote> current;
    /** Guarded by {@code this}. */
    private Topic topic;
    private Leadership leadership;

    public ClusterFeed(Feed source, Bus bus) {
        this.source = source;
        this.bus = bus;
        this.current = source.current();
    }

    @Override
    public List<String> symbols() {
        return source.symbols();
    }

    /** The last prices the cluster published (this node's own until the first batch arrives). */
    @Override
    public List<Quote> current() {
        return current;
    }

    @Override
    public synchronized void start(Consumer<List<Quote>> listener) {
        if (topic != null) {
            return;
        }
        topic = bus.topic(TOPIC, message -> {
            List<Quote> batch = decode(message);
            remember(batch);
            listener.accept(batch);
        });
        Topic publishTo = topic;
        leadership = bus.lead(LEASE, new Leadership.Listener() {
            @Override
            public void elected() {
                LOG.log(System.Logger.Level.INFO, "this node runs the cluster''s quote feed");
                source.continueFrom(current);
                source.start(batch -> publishTo.publish(encode(batch)));
            }

            @Override
            public void demoted() {
                source.stop();
            }
        });
    }

    @Override
    public synchronized void stop() {
        if (topic == null) {
            return;
        }
        leadership.close(); // steps down (stopping the source) and frees the lease for another node
        leadership = null;
        topic.close();
        topic = null;
        source.stop();
    }

    @Override
    public synchronized boolean isRunning() {
        return topic != null;
    }

    /** Keeps the latest quote of every symbol a batch mentions. */
    private void remember(List<Quote> batch) {
        List<Quote> updated = new ArrayList<>(current);
        for (Quote quote : batch) {
            for (int i = 0; i < updated.size(); i++) {
                if (updated.get(i).symbol().equals(quote.symbol())) {
                    updated.set(i, quote);
                }
            }
        }
        current = List.copyOf(updated);
    }

    /** One line per quote: symbol, price, change, timestamp; decimals as plain strings, never floats. */
    static String encode(List<Quote> batch) {
        StringBuilder out = new StringBuilder(batch.size() * 48);
        for (Quote q : batch) {
            out.append(q.symbol()).append(' ').append(q.price().toPlainString()).append(' ')
                    .append(q.change().toPlainString()).append(' ').append(q.ts()).append('\n');
        }
        return out.toString();
    }

    static List<Quote> decode(String message) {
        List<Quote> batch = new ArrayList<>();
        for (String line : message.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split(" ");
            batch.add(new Quote(f[0], new BigDecimal(f[1]), new BigDecimal(f[2]), Instant.parse(f[3])));
        }
        return List.copyOf(batch);
    }
}
