package duplex.api;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Makes a request with an idempotency key happen once within a window: a repeat (a backend's
 * retry after a timeout) gets the first one's result, even while the first is still under way.
 * A request that failed is forgotten, so its retry is tried again. Keys are per API key: two
 * backends cannot see or spoil each other's. Bounded: past {@link #MAX_KEYS} the oldest go first.
 * Per node: a retry that reaches another node of a cluster publishes again.
 */
public final class Idempotency<T> {

    static final int MAX_KEYS = 100_000;

    private record Entry<T>(CompletableFuture<T> result, long since) {
    }

    private final long windowNanos;
    private final LongSupplier nanoClock;
    /** In insertion order, so the oldest are at the head. Guarded by itself. */
    private final LinkedHashMap<String, Entry<T>> entries = new LinkedHashMap<>();

    public Idempotency(Duration window) {
        this(window, System::nanoTime);
    }

    Idempotency(Duration window, LongSupplier nanoClock) {
        this.windowNanos = window.toNanos();
        this.nanoClock = nanoClock;
    }

    /**
     * The result of the request {@code key} names: {@code action}'s, started now, unless a request
     * with the same key is in the window (then its result; {@code action} is not called).
     */
    public CompletableFuture<T> once(String key, Supplier<CompletableFuture<T>> action) {
        if (windowNanos == 0 || key == null) {
            return action.get();
        }
        long now = nanoClock.getAsLong();
        CompletableFuture<T> mine = new CompletableFuture<>();
        synchronized (entries) {
            expire(now);
            Entry<T> earlier = entries.get(key);
            if (earlier != null) {
                return earlier.result();
            }
            entries.put(key, new Entry<>(mine, now));
            if (entries.size() > MAX_KEYS) {
                Iterator<String> oldest = entries.keySet().iterator();
                oldest.next();
                oldest.remove();
            }
        }
        action.get().whenComplete((value, failure) -> {
            if (failure != null) {
                synchronized (entries) {
                    Entry<T> current = entries.get(key);
                    if (current != null && current.result() == mine) {
                        entries.remove(key);
                    }
                }
                mine.completeExceptionally(failure);
            } else {
                mine.complete(value);
            }
        });
        return mine;
    }

    private void expire(long now) {
        for (Iterator<Map.Entry<String, Entry<T>>> it = entries.entrySet().iterator(); it.hasNext(); ) {
            if (now - it.next().getValue().since() < windowNanos) {
                return; // the rest are newer
            }
            it.remove();
        }
    }

    int size() {
        synchronized (entries) {
            return entries.size();
        }
    }
}
