package duplex.delivery;

import duplex.delivery.OutboxLatestTest.FakePeer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Outbox#batchWith}: text frames that wait behind a send go out joined, in order, within
 * the bounds; nothing waits, nothing is joined. The wire is the fake peer of
 * {@link OutboxLatestTest}, whose sends complete only when the test says so.
 */
class OutboxBatchingTest {

    private static final Outbox.Batching JOIN_WITH_PLUS = new Outbox.Batching(3, 100, texts -> String.join("+", texts));

    private final AtomicInteger messagesSent = new AtomicInteger();
    private final AtomicInteger bytesSent = new AtomicInteger();
    private final Traffic traffic = new Traffic() {
        @Override
        public void sent(int messages, int bytes) {
            messagesSent.addAndGet(messages);
            bytesSent.addAndGet(bytes);
        }
    };

    private Outbox outbox(FakePeer peer) {
        Outbox outbox = new Outbox(peer.session, "test", Runnable::run, 1000, 1 << 20, 30_000, traffic);
        outbox.batchWith(JOIN_WITH_PLUS);
        return outbox;
    }

    @Test
    void aPeerThatKeepsUpGetsOneMessagePerFrame() {
        FakePeer peer = new FakePeer();
        Outbox outbox = outbox(peer);
        for (String text : List.of("a", "b", "c")) {
            assertTrue(outbox.send(Frame.text(text)));
            peer.completeOne();
        }
        assertEquals(List.of("a", "b", "c"), peer.sent);
        assertEquals(3, messagesSent.get());
    }

    @Test
    void aBacklogGoesOutJoinedInOrderWithinTheMessageBound() {
        FakePeer peer = new FakePeer();
        Outbox outbox = outbox(peer);
        for (String text : List.of("a", "b", "c", "d", "e", "f")) {
            outbox.send(Frame.text(text));
        }
        assertEquals(List.of("a"), peer.sent, "one send on the wire, the rest waits");
        assertEquals(6, outbox.pendingMessages());
        peer.completeOne();
        assertEquals(List.of("a", "b+c+d"), peer.sent, "at most three joined");
        assertEquals(5, outbox.pendingMessages(), "a batch counts as its messages until it completes");
        peer.completeOne();
        assertEquals(List.of("a", "b+c+d", "e+f"), peer.sent);
        assertEquals(2, outbox.pendingMessages());
        peer.completeOne();
        assertEquals(0, outbox.pendingMessages());
        assertEquals(0, outbox.pendingBytes());
        assertEquals(6, messagesSent.get(), "metrics count messages, not frames");
    }

    @Test
    void theByteBoundCutsABatchShort() {
        FakePeer peer = new FakePeer();
        Outbox outbox = outbox(peer);
        outbox.send(Frame.text("first"));
        outbox.send(Frame.text("x".repeat(60)));
        outbox.send(Frame.text("y".repeat(60))); // 120 bytes with the one before: over the bound of 100
        peer.completeOne();
        assertEquals("x".repeat(60), peer.sent.get(1));
        peer.completeOne();
        assertEquals("y".repeat(60), peer.sent.get(2));
    }

    @Test
    void framesOfSendLatestAreNeverJoined() {
        FakePeer peer = new FakePeer();
        Outbox outbox = outbox(peer);
        outbox.send(Frame.text("a"));
        outbox.send(Frame.text("b"));
        outbox.sendLatest("price", Frame.text("p1"));
        outbox.send(Frame.text("c"));
        outbox.send(Frame.text("d"));
        while (peer.onTheWire() > 0) {
            peer.completeOne();
        }
        assertEquals(List.of("a", "b", "p1", "c+d"), peer.sent);
        assertFalse(peer.sent.stream().anyMatch(s -> s.contains("p1+") || s.contains("+p1")));
    }

    @Test
    void withoutBatchingEveryMessageIsItsOwnFrame() {
        FakePeer peer = new FakePeer();
        Outbox outbox = new Outbox(peer.session, "test", Runnable::run, 1000, 1 << 20, 30_000, traffic);
        for (String text : List.of("a", "b", "c")) {
            outbox.send(Frame.text(text));
        }
        while (peer.onTheWire() > 0) {
            peer.completeOne();
        }
        assertEquals(List.of("a", "b", "c"), peer.sent);
    }
}
