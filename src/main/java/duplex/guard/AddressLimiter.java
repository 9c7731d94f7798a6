package duplex.guard;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Open connections per client address, against a bound. Why: one host opening connections in a
 * loop would otherwise take every file descriptor and thread the server has; with a bound it can
 * only hurt itself. Thread-safe; an address with no connection takes no memory.
 */
public final class AddressLimiter {

    private final int maxPerAddress;
    private final ConcurrentHashMap<String, Integer> open = new ConcurrentHashMap<>();

    public AddressLimiter(int maxPerAddress) {
        if (maxPerAddress < 1) {
            throw new IllegalArgumentException("maxPerAddress must be at least 1");
        }
        this.maxPerAddress = maxPerAddress;
    }

    public int maxPerAddress() {
        return maxPerAddress;
    }

    /** Counts one more connection from the address, unless it already has the most it may have. */
    public boolean tryAcquire(String address) {
        boolean[] acquired = new boolean[1];
        open.compute(address, (key, count) -> {
            int current = count == null ? 0 : count;
            if (current >= maxPerAddress) {
                return count;
            }
            acquired[0] = true;
            return current + 1;
        });
        return acquired[0];
    }

    /** One connection from the address ended; call once for every successful {@link #tryAcquire}. */
    public void release(String address) {
        open.computeIfPresent(address, (key, count) -> count <= 1 ? null : count - 1);
    }

    public int count(String address) {
        return open.getOrDefault(address, 0);
    }

    /** Addresses with at least one open connection. */
    public int addresses() {
        return open.size();
    }
}
