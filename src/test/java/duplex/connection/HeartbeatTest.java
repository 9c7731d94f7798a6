package duplex.connection;

import duplex.delivery.FakeSessions;
import duplex.delivery.Frame;
import duplex.delivery.Traffic;
import jakarta.websocket.CloseReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The heartbeat of {@link Connections} on fake sessions, with limits of a fraction of a second
 * and a real scheduler: idle peers are closed, peers that answer pings are not, pings go out
 * every interval, and a send that never completes is failed after the send timeout. Waits are
 * Awaitility's with generous bounds (a loaded machine may run the heartbeat late, never early);
 * the lower bounds on timing hold however late it runs.
 */
class HeartbeatTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService closer = Executors.newSingleThreadExecutor();
    private final ExecutorService pinger = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
        closer.shutdownNow();
        pinger.shutdownNow();
    }

    private Connections connections(Duration sendTimeout, Duration idleTimeout, Duration pingInterval) {
        return new Connections(new Connections.Limits(100, 1 << 20, sendTimeout, idleTimeout, pingInterval, Duration.ofSeconds(1),
                32, true), scheduler, closer, pinger, endpoint -> Traffic.NONE, new Connections.PerAddress(null, null, null));
    }

    /** A peer registered with the connections as {@code @OnOpen} does; its sends complete at once unless {@code stalled}. */
    private static FakeSessions.Peer open(Connections connections, String address, boolean stalled) {
        return FakeSessions.peer(address, stalled, session -> connections.open("test", session));
    }

    private static long millisSince(long startedNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
    }

    @Test
    void aPeerSilentPastTheIdleTimeoutIsClosedGoingAway() {
        Connections connections = connections(Duration.ofSeconds(30), Duration.ofMillis(300), Duration.ZERO);
        long opened = System.nanoTime();
        FakeSessions.Peer silent = open(connections, "10.0.0.1", false);

        await().atMost(WAIT).until(() -> silent.closedWith != null);

        assertTrue(millisSince(opened) >= 300, "not before the idle timeout: " + millisSince(opened) + " ms");
        assertEquals(CloseReason.CloseCodes.GOING_AWAY, silent.closedWith.getCloseCode());
        assertEquals("idle timeout", silent.closedWith.getReasonPhrase());
        assertEquals(List.of(), silent.pings, "pings are off");
    }

    @Test
    void aPeerThatAnswersPingsStaysOpenPastTheIdleTimeoutWhileASilentOneIsClosed() {
        // Idle after 1.2 s; unanswered pings give up first, after two intervals (800 ms).
        Duration interval = Duration.ofMillis(400);
        Connections connections = connections(Duration.ofSeconds(30), Duration.ofMillis(1200), interval);
        long opened = System.nanoTime();
        FakeSessions.Peer answering = open(connections, "10.0.0.1", false);
        answering.onPing = answering.outbox::heard; // its pong
        FakeSessions.Peer silent = open(connections, "10.0.0.2", false);

        // Four pings: at least 4 × 400 ms after the open, well past the idle timeout.
        await().atMost(WAIT).until(() -> answering.pings.size() >= 4);

        long elapsed = millisSince(opened);
        assertTrue(elapsed >= 1600, "past the idle timeout: " + elapsed + " ms");
        assertNull(answering.closedWith, "a peer that answers is alive");
        assertTrue(answering.outbox.isOpen());
        await().atMost(WAIT).until(() -> silent.closedWith != null);
        assertEquals(CloseReason.CloseCodes.GOING_AWAY, silent.closedWith.getCloseCode());
        assertEquals("ping timeout", silent.closedWith.getReasonPhrase(), "two pings unanswered");
        assertTrue(silent.pings.size() >= 1 && silent.pings.size() <= 3, "pinged, then given up on: " + silent.pings.size());
        assertEquals(2, connections.count(), "both stay registered until their @OnClose");
    }

    @Test
    void pingsGoOutEveryIntervalAndNoMoreOften() {
        Duration interval = Duration.ofMillis(300);
        Connections connections = connections(Duration.ofSeconds(30), Duration.ofSeconds(5), interval);
        long opened = System.nanoTime();
        FakeSessions.Peer peer = open(connections, "10.0.0.1", false);
        peer.onPing = peer.outbox::heard;

        await().atMost(WAIT).until(() -> peer.pings.size() >= 4);

        List<Long> pings = List.copyOf(peer.pings);
        // A ping waits for its interval since the previous one (or since the open) to pass.
        for (int i = 0; i < pings.size(); i++) {
            long sinceOpen = TimeUnit.NANOSECONDS.toMillis(pings.get(i) - opened);
            assertTrue(sinceOpen >= (i + 1) * interval.toMillis(), "ping " + (i + 1) + " after " + sinceOpen + " ms");
        }
        assertNull(peer.closedWith);
    }

    @Test
    void aSendThatNeverCompletesIsFailedAfterTheSendTimeout() {
        Connections connections = connections(Duration.ofMillis(300), Duration.ofSeconds(30), Duration.ZERO);
        FakeSessions.Peer stuck = open(connections, "10.0.0.1", true);
        FakeSessions.Peer reading = open(connections, "10.0.0.2", false);
        long sent = System.nanoTime();
        assertTrue(stuck.outbox.send(Frame.text("{\"type\":\"hello\"}")));
        assertTrue(reading.outbox.send(Frame.text("{\"type\":\"hello\"}")));
        assertEquals(1, stuck.onTheWire());

        await().atMost(WAIT).until(() -> stuck.closedWith != null);

        assertTrue(millisSince(sent) >= 300, "not before the send timeout: " + millisSince(sent) + " ms");
        assertEquals(CloseReason.CloseCodes.GOING_AWAY, stuck.closedWith.getCloseCode());
        assertEquals("send failed", stuck.closedWith.getReasonPhrase());
        assertTrue(!stuck.outbox.isOpen());
        assertTrue(!stuck.outbox.send(Frame.text("{}")), "a failed outbox takes nothing more");
        assertNull(reading.closedWith, "a send that completed is not failed");
    }
}
