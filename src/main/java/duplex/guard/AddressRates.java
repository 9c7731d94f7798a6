package duplex.guard;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * One {@link RateLimiter} per client address, shared by all of that address's connections.
 *
 * <p>Why: each connection has a bucket of its own, which starts full. A client that reconnects
 * for every burst (or opens many connections at once) would get a fresh allowance each time; the
 * address's bucket is not refilled by reconnecting. It lives while the address has a connection,
 * and for as long after the last one closes as its bucket and strikes take to recover, so coming
 * back sooner finds it as it was left. Thread-safe.
 */
public final class AddressRates {

    private final RateLimiter.Policy policy;
    private final LongSupplier nanoClock;
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    /** How long an unused bucket takes to be as good as new: refilled, and every strike forgiven. */
    private final long recoveryNanos;

    private static final class Entry {
        final RateLimiter limiter;
        int leases;
        long releasedAt;

        Entry(RateLimiter limiter) {
            this.limiter = limiter;
        }
    }

    public AddressRates(RateLimiter.Policy policy) {
        this(policy, System::nanoTime);
    }

    public AddressRates(RateLimiter.Policy policy, LongSupplier nanoClock) {
        this.policy = policy;
        this.nanoClock = nanoClock;
        double seconds = policy.burst() / policy.perSecond() + policy.strikes();
        this.recoveryNanos = (long) Math.min(Long.MAX_VALUE / 2, seconds * 1e9);
    }

    /** The address's limiter, for one more connection; give it back with {@link #release}. */
    public RateLimiter lease(String address) {
        return entries.compute(address, (key, entry) -> {
            Entry e = entry == null ? new Entry(new RateLimiter(policy, nanoClock)) : entry;
            e.leases++;
            return e;
        }).limiter;
    }

    /** One connection of the address ended; call once for every {@link #lease}. */
    public void release(String address) {
        entries.computeIfPresent(address, (key, entry) -> {
            entry.leases--;
            entry.releasedAt = nanoClock.getAsLong();
            return entry;
        });
    }

    /** Forgets buckets no connection uses that have recovered in full: they would start full anyway. */
    public void sweep() {
        long now = nanoClock.getAsLong();
        for (String address : entries.keySet()) {
            // Decided inside compute, so a lease arriving at the same moment is never lost.
            entries.computeIfPresent(address,
                    (key, entry) -> entry.leases <= 0 && now - entry.releasedAt >= recoveryNanos ? null : entry);
        }
    }

    /** Addresses with a bucket. */
    public int size() {
        return entries.size();
    }
}
