package duplex.connection;

import duplex.delivery.Frame;
import duplex.delivery.Outbox;
import duplex.guard.RateLimiter;
import duplex.ops.EndpointMetrics;
import duplex.protocol.ErrorCode;
import duplex.protocol.ErrorMessage;
import jakarta.websocket.CloseReason;
import jakarta.websocket.CloseReason.CloseCodes;
import jakarta.websocket.Session;

import java.io.IOException;

/**
 * One open WebSocket, whatever its endpoint: the edges every endpoint shares, so that an
 * endpoint only turns whole messages into its feature's calls. Admission and the close's count
 * and log ({@link Connections}), the per-session rate limit and its two answers, the answer to a
 * binary message where only text is spoken, error replies and their metrics, and errors logged
 * once. Everything sent goes through the session's {@link Outbox}.
 *
 * <p>The container calls an endpoint for one session at a time; {@link #closed} and
 * {@link #error} may come from other threads, so what they touch is volatile or the outbox's.
 */
public final class Connection {

    private static final System.Logger LOG = System.getLogger(Connection.class.getName());

    /** What the rate limit made of a message. */
    public enum Admitted {
        /** Within the limit: handle it. */
        YES,
        /** Over the limit: answered {@code rate_limited}, not handled. */
        ANSWERED,
        /** Still sending after its answers: the connection closes (1008) once they are out. */
        CLOSING
    }

    private final Connections connections;
    private final Outbox outbox;
    private final EndpointMetrics metrics;
    private final RateLimiter limiter;
    /** Set once the connection closes for what it sent: the rest of its input is ignored. */
    private volatile boolean closingForInput;
    private volatile boolean errorLogged;

    /** Through {@link #open}; directly only in tests, whose outbox no {@link Connections} registered. */
    Connection(Connections connections, Outbox outbox, EndpointMetrics metrics, RateLimiter.Policy rateLimit) {
        this.connections = connections;
        this.outbox = outbox;
        this.metrics = metrics;
        this.limiter = rateLimit == null ? null : new RateLimiter(rateLimit);
    }

    /**
     * Admits and registers a newly opened session; call first thing in {@code @OnOpen}.
     *
     * @param metrics   the endpoint's counters for errors and rate limiting
     * @param rateLimit the per-session limit on client messages, or null for none
     * @throws Connections.Refused when the session was refused (and closed): let it propagate
     */
    public static Connection open(Connections connections, String endpoint, Session session, EndpointMetrics metrics,
                                  RateLimiter.Policy rateLimit) {
        return new Connection(connections, connections.open(endpoint, session), metrics, rateLimit);
    }

    public Outbox outbox() {
        return outbox;
    }

    public String id() {
        return outbox.id();
    }

    /** True once the connection closes for what it sent: drop whatever else arrives. */
    public boolean closingForInput() {
        return closingForInput;
    }

    /** A pong, or a part of a message: the peer is alive. */
    public void heard() {
        outbox.heard();
    }

    /**
     * The rate limit, per session and per address; every message counts, bad ones included.
     * Over it, this answers; past its strikes, this closes after the answers went out. Always
     * {@link Admitted#YES} for a connection opened without a limit.
     */
    public Admitted admit() {
        if (limiter == null) {
            return Admitted.YES;
        }
        RateLimiter.Verdict verdict = RateLimiter.acquire(limiter, outbox.addressRate());
        switch (verdict) {
            case LIMITED -> {
                metrics.rateLimited();
                RateLimiter.Policy policy = limiter.policy();
                reply(new ErrorMessage(ErrorCode.RATE_LIMITED, "too many messages; at most "
                        + policy.perSecond() + " per second, " + policy.burst() + " at once"));
                return Admitted.ANSWERED;
            }
            case FLOODING -> {
                LOG.log(System.Logger.Level.INFO, "{0} session {1}: kept sending after rate_limited; closing",
                        outbox.endpoint(), outbox.id());
                closingForInput = true;
                outbox.closeWhenSent(new CloseReason(CloseCodes.VIOLATED_POLICY, "rate limit exceeded"));
                return Admitted.CLOSING;
            }
            default -> {
                return Admitted.YES;
            }
        }
    }

    /** An {@code error} message to the client, counted by its code. */
    public void reply(ErrorMessage error) {
        metrics.error(error.code());
        outbox.send(Frame.text(error.toJson()));
    }

    /** A message too large for this endpoint: closed with 1009, the rest of the input ignored. */
    public void tooBig(String reason) {
        closeForInput(new CloseReason(CloseCodes.TOO_BIG, reason));
    }

    /**
     * A binary message where the endpoint speaks JSON text only: closed with 1003 at its first
     * part, without buffering the rest. Neither Tomcat nor Tyrus closes on its own when the
     * endpoint has no binary handler (they drop the message), so every such endpoint has one
     * that calls this, and every server answers the same way.
     */
    public void textOnly(String reason) {
        heard();
        if (!closingForInput) {
            closeForInput(new CloseReason(CloseCodes.CANNOT_ACCEPT, reason));
        }
    }

    /** Closes for a charge the memory budget refused (1008 for the address's share, 1013 for the server's). */
    public void overBudget(duplex.guard.MemoryBudget.Verdict verdict) {
        closingForInput = true;
        outbox.overBudget(verdict);
    }

    /** Closes for what the client sent (a limit, a rule): the rest of its input is ignored. */
    public void closeForInput(CloseReason reason) {
        closingForInput = true;
        outbox.close(reason);
    }

    /** Closes at open, before the endpoint took the connection anywhere (logged at DEBUG). */
    public void refuse(CloseCodes code, String reason) {
        LOG.log(System.Logger.Level.DEBUG, "{0} session {1} refused: {2}", outbox.endpoint(), outbox.id(), reason);
        closeForInput(new CloseReason(code, reason));
    }

    /** From {@code @OnClose}: counts and logs the close. Safe to call twice. */
    public void closed(CloseReason reason) {
        connections.closed(outbox, reason);
    }

    /**
     * From {@code @OnError}, or a bug caught while handling one message: one line per session at
     * most, never a stack trace. Peers that vanish (EOF, reset) are ordinary and logged at DEBUG,
     * and so is a frame past the container's own limit (it closes with 1009); anything else once
     * at WARNING.
     */
    public void error(Throwable error) {
        if (error instanceof IOException || error.getCause() instanceof IOException
                || error.getClass().getSimpleName().contains("TooBig")) {
            LOG.log(System.Logger.Level.DEBUG, "{0} session {1}: {2}", outbox.endpoint(), outbox.id(), error.toString());
            return;
        }
        if (!errorLogged) {
            errorLogged = true;
            LOG.log(System.Logger.Level.WARNING, "{0} session {1}: {2} (further errors of this session are not logged)",
                    outbox.endpoint(), outbox.id(), error.toString());
        }
    }
}
