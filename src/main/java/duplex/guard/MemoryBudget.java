package duplex.guard;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes of heap that clients have made the server hold, per client address and in all, against
 * two bounds. Why: every other limit is per connection or per room, so one address with many
 * connections, or a hundred addresses together, could still fill the heap (a server that dies
 * of {@code OutOfMemoryError} loses its acceptor thread and everyone with it). What is charged:
 * chat history by the address that posted it, messages being assembled by the address sending
 * them, echo replies waiting to go out. What is not: the container's fixed cost per connection,
 * which {@code duplex.max-connections-per-address} and the connector's maxConnections bound.
 *
 * <p>Figures are estimates of heap, not of wire bytes: a Java string may take two bytes per
 * character, so {@link #ofText} counts two. Thread-safe; an address that holds nothing takes no
 * memory here.
 */
public final class MemoryBudget {

    /** What {@link #tryCharge} decided. */
    public enum Verdict {
        CHARGED,
        /** The address already holds its share; nothing was charged. */
        ADDRESS_FULL,
        /** The server as a whole holds its budget; nothing was charged. */
        SERVER_FULL
    }

    private final long perAddress;
    private final long total;
    private final AtomicLong used = new AtomicLong();
    private final ConcurrentHashMap<String, Long> byAddress = new ConcurrentHashMap<>();

    public MemoryBudget(long perAddress, long total) {
        if (perAddress < 1 || total < perAddress) {
            throw new IllegalArgumentException("need 0 < perAddress <= total, got " + perAddress + " and " + total);
        }
        this.perAddress = perAddress;
        this.total = total;
    }

    /** Heap a string of this many UTF-16 units may take, with its object headers. */
    public static long ofText(int chars) {
        return 56L + 2L * chars;
    }

    /** Heap a byte array of this size takes, with its header. */
    public static long ofBytes(int bytes) {
        return 16L + bytes;
    }

    public long perAddress() {
        return perAddress;
    }

    public long total() {
        return total;
    }

    /** Charges {@code bytes} to the address unless that would pass its share or the total. */
    public Verdict tryCharge(String address, long bytes) {
        Verdict[] verdict = {Verdict.CHARGED};
        byAddress.compute(address, (key, held) -> {
            long now = held == null ? 0 : held;
            if (now + bytes > perAddress) {
                verdict[0] = Verdict.ADDRESS_FULL;
                return held;
            }
            // Checked and added inside the address's compute: two threads of one address cannot
            // both pass; threads of different addresses may overshoot the total by one charge each.
            if (used.get() + bytes > total) {
                verdict[0] = Verdict.SERVER_FULL;
                return held;
            }
            used.addAndGet(bytes);
            return now + bytes;
        });
        return verdict[0];
    }

    /**
     * Whether the address could take {@code bytes} more of its share (the total aside): for what
     * is charged later, when it is certain to be kept, and evicted when the total is reached.
     */
    public boolean addressHasRoom(String address, long bytes) {
        return byAddress.getOrDefault(address, 0L) + bytes <= perAddress;
    }

    /** Charges without asking (for what is already held, such as history loaded from the cluster). */
    public void charge(String address, long bytes) {
        byAddress.merge(address, bytes, Long::sum);
        used.addAndGet(bytes);
    }

    /** Gives back what an earlier charge to the address took; never below zero. */
    public void release(String address, long bytes) {
        long[] released = {0};
        byAddress.computeIfPresent(address, (key, held) -> {
            released[0] = Math.min(held, bytes);
            long left = held - released[0];
            return left <= 0 ? null : left;
        });
        used.addAndGet(-released[0]);
    }

    public long used() {
        return used.get();
    }

    public long used(String address) {
        return byAddress.getOrDefault(address, 0L);
    }

    /** Whether the total has been reached (what is evictable should be evicted). */
    public boolean overTotal() {
        return used.get() > total;
    }

    /** Addresses holding anything. */
    public int addresses() {
        return byAddress.size();
    }
}
