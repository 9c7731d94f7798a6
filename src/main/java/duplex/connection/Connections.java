package duplex.connection;

import duplex.delivery.Outbox;
import duplex.delivery.RemoteAddress;
import duplex.delivery.SendGate;
import duplex.delivery.Traffic;
import duplex.guard.AddressLimiter;
import duplex.guard.AddressRates;
import duplex.guard.MemoryBudget;
import duplex.guard.RateLimiter;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The open connections of every endpoint, each with its {@link Outbox}. Owns what outlives one
 * connection: the heartbeat that pings everyone and closes dead peers, the closer and pinger
 * pools, and the per-address parts (connection count, shared rate limiter, memory budget).
 * Shared by all endpoint instances; thread-safe.
 */
public final class Connections {

    private static final System.Logger LOG = System.getLogger(Connections.class.getName());

    /**
     * @param blockingSendTimeout how long the container's own blocking sends (close frames, pings,
     *                            pongs) may wait for a peer that does not read
     * @param maxSendsInFlight    sends in flight at once over every connection ({@link SendGate})
     * @param groupedWrites       frames waiting for a connection go out in one write where the container allows it ({@link Wire})
     */
    public record Limits(int maxMessages, long maxBytes, Duration sendTimeout, Duration idleTimeout, Duration pingInterval,
                         Duration blockingSendTimeout, int maxSendsInFlight, boolean groupedWrites) {
    }

    /** A send on the wire this long gives its place in the {@link SendGate} back (its peer is slow). */
    static final Duration PARK_SLOW_SEND = Duration.ofMillis(100);

    /** What every connection of one client address shares. */
    public record PerAddress(AddressLimiter connections, AddressRates rates, MemoryBudget budget) {
    }

    /**
     * Tomcat's per-session property for the timeout of its blocking sends (a Long, milliseconds;
     * 20 s when absent). Other containers ignore it.
     */
    static final String TOMCAT_BLOCKING_SEND_TIMEOUT = "org.apache.tomcat.websocket.BLOCKING_SEND_TIMEOUT";

    private final Limits limits;
    private final ExecutorService closer;
    private final ExecutorService pinger;
    private final Function<String, Traffic> traffic;
    private final Map<String, Outbox> open = new ConcurrentHashMap<>();
    /** Session id to the client address counted for it in {@link #perAddress}. */
    private final Map<String, String> addresses = new ConcurrentHashMap<>();
    private final AddressLimiter perAddress;
    private final AddressRates rates;
    private final MemoryBudget budget;
    /** Session id to the address whose shared rate limiter it leased from {@link #rates}. */
    private final Map<String, String> leased = new ConcurrentHashMap<>();
    private final ScheduledFuture<?> heartbeat;
    private final SendGate gate;

    /**
     * @param closer  runs close handshakes, which may block on a stalled peer
     * @param pinger  runs pings, which may block the same way
     * @param traffic the {@link Traffic} to report an endpoint's connections to, by endpoint name
     */
    public Connections(Limits limits, ScheduledExecutorService scheduler, ExecutorService closer, ExecutorService pinger,
                       Function<String, Traffic> traffic, PerAddress shared) {
        this.limits = limits;
        this.perAddress = shared.connections();
        this.rates = shared.rates();
        this.budget = shared.budget();
        this.closer = closer;
        this.pinger = pinger;
        this.traffic = traffic;
        this.gate = new SendGate(limits.maxSendsInFlight());
        long tick = heartbeatTick(limits).toMillis();
        this.heartbeat = scheduler.scheduleWithFixedDelay(this::heartbeat, tick, tick, TimeUnit.MILLISECONDS);
    }

    /** Often enough to honour the ping interval, the idle timeout and the send timeout closely, at most once a second. */
    static Duration heartbeatTick(Limits limits) {
        Duration shortest = limits.idleTimeout();
        if (!limits.pingInterval().isZero() && limits.pingInterval().compareTo(shortest) < 0) {
            shortest = limits.pingInterval();
        }
        if (limits.sendTimeout().compareTo(shortest) < 0) {
            shortest = limits.sendTimeout();
        }
        Duration tick = shortest.dividedBy(4);
        return tick.compareTo(Duration.ofSeconds(1)) > 0 ? Duration.ofSeconds(1)
                : tick.compareTo(Duration.ofMillis(25)) < 0 ? Duration.ofMillis(25) : tick;
    }

    /**
     * Thrown by {@link #open} for a connection over its address's limit, after that connection
     * was closed with 1013 Try Again Later. Letting it propagate out of {@code @OnOpen} stops
     * the endpoint from going on (joining a room, announcing a member) for a refused connection.
     */
    public static final class Refused extends RuntimeException {
        public Refused(String message) {
            super(message, null, false, false);
        }
    }

    /** Close reason of a connection refused because its address has too many. */
    public static final String TOO_MANY_CONNECTIONS = "too many connections from your address";

    /**
     * Registers a newly opened session and logs it; call first thing in {@code @OnOpen}.
     *
     * @throws Refused when the client's address already has the most connections it may have:
     *                 the session has been closed with 1013; let the exception propagate
     */
    public Outbox open(String endpoint, Session session) {
        // Before anything can be sent: the container's close frames and pongs to this peer give up
        // after this instead of holding a container thread for 20 s when the peer stops reading.
        session.getUserProperties().put(TOMCAT_BLOCKING_SEND_TIMEOUT, limits.blockingSendTimeout().toMillis());
        if (perAddress != null) {
            admit(endpoint, session);
        }
        Traffic endpointTraffic = traffic.apply(endpoint);
        String address = RemoteAddress.of(session);
        RateLimiter addressRate = null;
        if (rates != null) {
            addressRate = rates.lease(address);
            leased.put(session.getId(), address);
        }
        Outbox outbox = new Outbox(session, endpoint, closer, pinger, limits.maxMessages(), limits.maxBytes(),
                limits.sendTimeout().toMillis(), endpointTraffic, budget, addressRate, gate,
                limits.groupedWrites());
        open.put(session.getId(), outbox);
        endpointTraffic.opened();
        String subprotocol = session.getNegotiatedSubprotocol();
        LOG.log(System.Logger.Level.INFO, "{0} session {1} opened from {2}{3}", endpoint, session.getId(),
                outbox.remoteAddress(), subprotocol == null || subprotocol.isEmpty() ? "" : ", subprotocol " + subprotocol);
        return outbox;
    }

    private void admit(String endpoint, Session session) {
        // No address means the handshake guard never saw this connection (a request the
        // container upgraded but the guard did not take for a handshake): nothing was checked.
        String address = RemoteAddress.of(session);
        if (RemoteAddress.UNKNOWN.equals(address)) {
            LOG.log(System.Logger.Level.INFO, "{0} session {1}: the handshake was not checked (no client address); refusing",
                    endpoint, session.getId());
            refuse(session, new CloseReason(CloseReason.CloseCodes.VIOLATED_POLICY, UNCHECKED));
        }
        if (perAddress.tryAcquire(address)) {
            addresses.put(session.getId(), address);
            return;
        }
        LOG.log(System.Logger.Level.INFO, "{0} session {1}: {2} already has {3} connections; refusing",
                endpoint, session.getId(), address, perAddress.maxPerAddress());
        refuse(session, new CloseReason(CloseReason.CloseCodes.TRY_AGAIN_LATER, TOO_MANY_CONNECTIONS));
    }

    /** Close reason of a connection whose handshake the guard did not see. */
    public static final String UNCHECKED = "handshake not checked";

    private static void refuse(Session session, CloseReason reason) {
        try {
            // Synchronous on purpose: nothing else is in flight on a session that has just opened.
            session.close(reason);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing refused session {0}: {1}", session.getId(), e.toString());
        }
        throw new Refused(reason.getReasonPhrase());
    }

    /**
     * Forgets a session and logs its close with code and reason; call from {@code @OnClose}.
     * Safe to call twice: only the first call counts and logs.
     */
    public void closed(Outbox outbox, CloseReason reason) {
        if (outbox == null) {
            return;
        }
        outbox.closedByPeer();
        String address = addresses.remove(outbox.id());
        if (address != null) {
            perAddress.release(address);
        }
        String rated = leased.remove(outbox.id());
        if (rated != null) {
            rates.release(rated);
        }
        if (open.remove(outbox.id()) == null) {
            return;
        }
        int code = reason == null ? CloseReason.CloseCodes.NO_STATUS_CODE.getCode() : reason.getCloseCode().getCode();
        String phrase = reason == null || reason.getReasonPhrase() == null ? "" : reason.getReasonPhrase();
        outbox.traffic().closed(code);
        LOG.log(System.Logger.Level.INFO, "{0} session {1} from {2} closed: {3} \"{4}\" after {5} ms", outbox.endpoint(),
                outbox.id(), outbox.remoteAddress(), String.valueOf(code), phrase, String.valueOf(outbox.ageMillis()));
    }

    /** {@link #closed(Outbox, CloseReason)} without a known reason (counted as 1005, no status). */
    public void closed(Outbox outbox) {
        closed(outbox, null);
    }

    /** The open connection whose session id is {@code id}, on any endpoint. */
    public java.util.Optional<Outbox> find(String id) {
        return java.util.Optional.ofNullable(open.get(id));
    }

    public int count(String endpoint) {
        return (int) open.values().stream().filter(o -> o.endpoint().equals(endpoint)).count();
    }


    public int count() {
        return open.size();
    }

    /** Bytes queued, over every connection of the endpoint: what delivery holds in memory right now. */
    public long pendingBytes(String endpoint) {
        return open.values().stream().filter(o -> o.endpoint().equals(endpoint)).mapToLong(Outbox::pendingBytes).sum();
    }

    /**
     * Closes every connection with the given reason and waits, at most {@code wait}, for the
     * close handshakes to go out. Used on shutdown with 1001 Going Away.
     */
    public void closeAll(CloseReason reason, Duration wait) {
        heartbeat.cancel(false);
        List<Outbox> all = new ArrayList<>(open.values());
        for (Outbox outbox : all) {
            outbox.close(reason);
        }
        long deadline = System.nanoTime() + wait.toNanos();
        // Each @OnClose removes its own entry; poll for that rather than block on any one peer.
        while (!open.isEmpty() && System.nanoTime() < deadline) {
            try {
                TimeUnit.MILLISECONDS.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        open.clear();
    }

    /**
     * Pings everyone every ping interval, and closes peers that have gone quiet. A peer shows
     * life by what arrives from it (messages and pongs) or by our data sends completing; pings
     * we send prove nothing, or a server that pings would never see a dead peer as idle. A live
     * browser answers every ping, so it is never idle; a busy listener, seldom pinged because
     * pings wait for a quiet moment, shows life through its completing sends; a peer silent for
     * two ping intervals, whose sends have stopped completing too, is gone.
     */
    private void heartbeat() {
        if (rates != null) {
            rates.sweep();
        }
        long now = System.nanoTime();
        long idleAfter = limits.idleTimeout().toNanos();
        long pingEvery = limits.pingInterval().toNanos();
        long parkAfter = PARK_SLOW_SEND.toNanos();
        for (Outbox outbox : open.values()) {
            try {
                outbox.parkIfSlow(now, parkAfter);
                outbox.closeIfOverdue(now);
                long quiet = outbox.nanosSinceLife(now);
                if (quiet > idleAfter) {
                    LOG.log(System.Logger.Level.INFO, "{0} session {1}: idle for {2} s; closing",
                            outbox.endpoint(), outbox.id(), String.valueOf(quiet / 1_000_000_000));
                    outbox.close(new CloseReason(CloseReason.CloseCodes.GOING_AWAY, "idle timeout"));
                } else if (pingEvery > 0 && quiet > 2 * pingEvery) {
                    LOG.log(System.Logger.Level.INFO, "{0} session {1}: no answer to two pings; closing",
                            outbox.endpoint(), outbox.id());
                    outbox.close(new CloseReason(CloseReason.CloseCodes.GOING_AWAY, "ping timeout"));
                } else if (outbox.sendOverdue(now)) {
                    LOG.log(System.Logger.Level.INFO, "{0} session {1}: a send did not complete within the send timeout; closing",
                            outbox.endpoint(), outbox.id());
                    outbox.sendTimedOut();
                } else if (pingEvery > 0 && outbox.nanosSincePinged(now) >= pingEvery) {
                    outbox.ping(now);
                }
            } catch (RuntimeException e) {
                // One broken session must not stop the heartbeat of all the others.
                LOG.log(System.Logger.Level.DEBUG, "heartbeat for session {0} failed: {1}", outbox.id(), e.toString());
            }
        }
    }
}
