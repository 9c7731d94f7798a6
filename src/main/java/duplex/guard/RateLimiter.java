package duplex.guard;

import java.util.function.LongSupplier;

/**
 * Per-session message rate limit: a token bucket, plus a tally of refusals that tells an
 * over-eager client from a flooder.
 *
 * <p>The bucket holds up to {@code burst} tokens and refills at {@code perSecond}; each message
 * takes one. A message that finds the bucket empty is {@link Verdict#LIMITED}: the endpoint drops
 * it and answers {@code rate_limited}. Every refusal is a strike; strikes are forgiven at one per
 * second. A client that collects more than {@code strikes} of them is {@link Verdict#FLOODING} and
 * is closed (1008): it did not slow down when told to. A client that backs off after a few
 * {@code rate_limited} answers is never closed.
 *
 * <p>One instance per session. Messages of one session arrive one at a time, but the methods are
 * synchronized anyway so the limiter is safe wherever it is used.
 */
public final class RateLimiter {

    /** What to do with one incoming message. */
    public enum Verdict { ALLOWED, LIMITED, FLOODING }

    /**
     * @param perSecond tokens added per second (the sustained rate)
     * @param burst     bucket size: messages that may arrive at once after a quiet spell
     * @param strikes   refusals, forgiven at one per second, a session may collect before it counts as flooding
     */
    public record Policy(double perSecond, int burst, int strikes) {
        public Policy {
            if (!(perSecond > 0) || burst < 1 || strikes < 1) {
                throw new IllegalArgumentException("rate limit needs perSecond > 0, burst >= 1, strikes >= 1");
            }
        }
    }

    private static final double NANOS_PER_SECOND = 1_000_000_000.0;

    private final Policy policy;
    private final LongSupplier nanoClock;
    private double tokens;
    private double strikes;
    private long last;

    public RateLimiter(Policy policy) {
        this(policy, System::nanoTime);
    }

    /** With a clock of one's own (nanoseconds, like {@link System#nanoTime()}): for tests. */
    public RateLimiter(Policy policy, LongSupplier nanoClock) {
        this.policy = policy;
        this.nanoClock = nanoClock;
        this.tokens = policy.burst();
        this.last = nanoClock.getAsLong();
    }

    public Policy policy() {
        return policy;
    }

    /**
     * A message against the connection's own limiter, then (if it passed) against the one its
     * address shares with its other connections ({@code address} null: none).
     */
    public static Verdict acquire(RateLimiter connection, RateLimiter address) {
        Verdict own = connection.acquire();
        return own != Verdict.ALLOWED || address == null ? own : address.acquire();
    }

    /** Accounts for one incoming message and says whether to handle it. */
    public synchronized Verdict acquire() {
        long now = nanoClock.getAsLong();
        double seconds = Math.max(0, now - last) / NANOS_PER_SECOND;
        last = now;
        tokens = Math.min(policy.burst(), tokens + seconds * policy.perSecond());
        strikes = Math.max(0, strikes - seconds);
        if (tokens >= 1) {
            tokens -= 1;
            return Verdict.ALLOWED;
        }
        strikes += 1;
        return strikes > policy.strikes() ? Verdict.FLOODING : Verdict.LIMITED;
    }
}
