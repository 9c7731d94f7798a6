package duplex.quotes;

import java.util.List;
import java.util.function.Consumer;

/**
 * A source of prices. {@link SimulatedFeed} invents them; a real market data source can take its
 * place behind the same four methods. The {@link QuoteHub} starts a feed when the first client
 * subscribes and stops it when the last one leaves.
 */
public interface Feed {

    /** The symbols this feed quotes, in display order; fixed for the feed's life. */
    List<String> symbols();

    /** The current quote of every symbol, in {@link #symbols()} order, whether or not the feed runs. */
    List<Quote> current();

    /**
     * Starts delivering price changes to the listener, a batch at a time, on a thread the feed
     * owns; the listener must not block for long. Calling start on a running feed does nothing.
     */
    void start(Consumer<List<Quote>> listener);

    /**
     * Stops delivering and waits for the feed's thread to end: after this returns, the listener
     * is not called again and no thread of the feed is alive. Safe to call when stopped.
     */
    void stop();

    boolean isRunning();

    /**
     * Before a start: go on from these prices instead of this feed's own. A cluster's new feed
     * leader continues from the last prices every node showed; a real market source ignores it.
     */
    default void continueFrom(List<Quote> last) {
    }
}
