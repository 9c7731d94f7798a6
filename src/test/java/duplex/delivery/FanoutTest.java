package duplex.delivery;

import jakarta.websocket.CloseReason;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Fanout}: a round queues and hands the writes to the writers (here a queue the test runs
 * by hand), never writing on the broadcasting thread while the writers keep up; past its backlog
 * the broadcasting thread writes its own round. And {@link Outbox#closeWhenSent}: the answers
 * queued before a close go out before it.
 */
class FanoutTest {

    private static Outbox outbox(OutboxLatestTest.FakePeer peer) {
        return new Outbox(peer.session, "test", Runnable::run, Runnable::run, 1000, 1 << 20, 30_000, Traffic.NONE, null, null);
    }

    @Test
    void aRoundOnlyQueuesAndTheWritersSendInOrder() {
        ArrayDeque<Runnable> writers = new ArrayDeque<>();
        Fanout fanout = new Fanout(writers::add);
        List<OutboxLatestTest.FakePeer> peers = new ArrayList<>();
        List<Outbox> outboxes = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            OutboxLatestTest.FakePeer peer = new OutboxLatestTest.FakePeer();
            peers.add(peer);
            outboxes.add(outbox(peer));
        }
        for (String text : List.of("one", "two")) {
            Fanout.Round round = fanout.round();
            for (Outbox outbox : outboxes) {
                assertTrue(round.add(outbox, Frame.text(text)));
            }
            round.finish();
        }
        for (OutboxLatestTest.FakePeer peer : peers) {
            assertEquals(List.of(), peer.sent, "nothing written on the broadcasting thread");
        }
        assertEquals(4, writers.size(), "two rounds of 100: two hand-overs each (64 + 36)");
        assertTrue(fanout.backlogBytes() > 0);
        while (!writers.isEmpty()) {
            writers.poll().run();
        }
        assertEquals(0, fanout.backlogBytes());
        for (OutboxLatestTest.FakePeer peer : peers) {
            assertEquals(List.of("one"), peer.sent, "one send in flight; the second waits for its completion");
            peer.completeOne();
            assertEquals(List.of("one", "two"), peer.sent);
        }
    }

    @Test
    void pastItsBacklogTheBroadcastingThreadWritesItsOwnRound() {
        ArrayDeque<Runnable> writers = new ArrayDeque<>();
        Fanout fanout = new Fanout(writers::add, 10);
        OutboxLatestTest.FakePeer first = new OutboxLatestTest.FakePeer();
        OutboxLatestTest.FakePeer second = new OutboxLatestTest.FakePeer();
        Fanout.Round round = fanout.round();
        round.add(outbox(first), Frame.text("12345678")); // 8 bytes: within the backlog, handed over
        round.finish();
        assertEquals(1, writers.size());
        assertEquals(List.of(), first.sent);
        round = fanout.round();
        round.add(outbox(second), Frame.text("12345678")); // 16 bytes behind: written here
        round.finish();
        assertEquals(1, writers.size());
        assertEquals(List.of("12345678"), second.sent);
    }

    @Test
    void aRefusedFrameIsReportedAndNeedsNoWriter() {
        ArrayDeque<Runnable> writers = new ArrayDeque<>();
        Fanout fanout = new Fanout(writers::add);
        OutboxLatestTest.FakePeer peer = new OutboxLatestTest.FakePeer();
        Outbox outbox = outbox(peer);
        outbox.close(new CloseReason(CloseReason.CloseCodes.GOING_AWAY, "bye"));
        Fanout.Round round = fanout.round();
        assertFalse(round.add(outbox, Frame.text("late")));
        round.finish();
        assertTrue(writers.isEmpty());
    }

    @Test
    void closeWhenSentClosesAfterWhatWasQueuedAndTakesNothingNew() {
        OutboxLatestTest.FakePeer peer = new OutboxLatestTest.FakePeer();
        Outbox outbox = outbox(peer);
        outbox.send(Frame.text("message"));
        outbox.send(Frame.text("rate_limited"));
        CloseReason reason = new CloseReason(CloseReason.CloseCodes.VIOLATED_POLICY, "rate limit exceeded");
        outbox.closeWhenSent(reason);
        assertFalse(outbox.send(Frame.text("after")), "nothing new once the close is asked for");
        assertNull(peer.closedWith, "not while frames are waiting");
        peer.completeOne();
        assertNull(peer.closedWith, "nor while the last one is on the wire");
        peer.completeOne();
        assertEquals(List.of("message", "rate_limited"), peer.sent);
        assertEquals(reason, peer.closedWith);
    }
}
