package duplex.delivery;

import jakarta.websocket.CloseReason;
import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Outbox#sendLatest}: per key at most one unsent frame, replaced in place. The "wire" is a
 * fake async remote whose sends complete only when the test says so, like a stalled peer.
 */
class OutboxLatestTest {

    /** A session whose async remote records each send and holds its completion. */
    static final class FakePeer {
        final List<String> sent = new CopyOnWriteArrayList<>();
        final List<SendHandler> handlers = new CopyOnWriteArrayList<>();
        volatile boolean open = true;
        volatile CloseReason closedWith;
        final Session session;

        FakePeer() {
            RemoteEndpoint.Async remote = (RemoteEndpoint.Async) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {RemoteEndpoint.Async.class}, (proxy, method, args) -> {
                        switch (method.getName()) {
                            case "sendText" -> {
                                sent.add((String) args[0]);
                                handlers.add((SendHandler) args[1]);
                            }
                            case "setSendTimeout", "sendPing" -> { }
                            default -> throw new UnsupportedOperationException(method.getName());
                        }
                        return null;
                    });
            session = (Session) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Session.class},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "getAsyncRemote" -> remote;
                        case "getId" -> "fake";
                        case "isOpen" -> open;
                        case "close" -> {
                            closedWith = args == null ? null : (CloseReason) args[0];
                            open = false;
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
        }

        /** Completes the oldest send still on the wire. */
        void completeOne() {
            handlers.remove(0).onResult(new SendResult());
        }

        int onTheWire() {
            return handlers.size();
        }
    }

    private static Outbox outbox(FakePeer peer, int maxMessages) {
        return new Outbox(peer.session, "test", Runnable::run, Runnable::run, maxMessages, 1 << 20, 30_000, Traffic.NONE, null, null);
    }

    @Test
    void aNewerFrameReplacesTheUnsentOneForItsKey() {
        FakePeer peer = new FakePeer();
        Outbox outbox = outbox(peer, 1000);
        assertEquals(Outbox.Offered.QUEUED, outbox.sendLatest("ACME", Frame.text("acme 1")));
        assertEquals(List.of("acme 1"), peer.sent, "an idle outbox sends at once");
        // The peer stalls: acme 1 stays on the wire; the next ones wait, and replace each other.
        assertEquals(Outbox.Offered.QUEUED, outbox.sendLatest("ACME", Frame.text("acme 2")));
        for (int i = 3; i <= 1000; i++) {
            assertEquals(Outbox.Offered.REPLACED, outbox.sendLatest("ACME", Frame.text("acme " + i)));
        }
        assertEquals(1, outbox.pendingLatest());
        assertEquals(2, outbox.pendingMessages(), "one on the wire, one waiting");
        assertEquals("acme 1".length() + "acme 1000".length(), outbox.pendingBytes());
        assertEquals(998, outbox.conflated());

        peer.completeOne();
        assertEquals(List.of("acme 1", "acme 1000"), peer.sent, "after catching up the peer gets the newest");
        peer.completeOne();
        assertEquals(0, outbox.pendingMessages());
        assertEquals(0, outbox.pendingBytes());
        assertEquals(0, outbox.pendingLatest());
        assertTrue(outbox.isOpen());
    }

    @Test
    void keysKeepTheirPlaceAndPlainFramesAreNeverReplaced() {
        FakePeer peer = new FakePeer();
        Outbox outbox = outbox(peer, 1000);
        outbox.send(Frame.text("first"));                       // on the wire
        outbox.sendLatest("A", Frame.text("a1"));
        outbox.send(Frame.text("snapshot"));
        outbox.sendLatest("B", Frame.text("b1"));
        outbox.sendLatest("A", Frame.text("a2"));               // replaces a1, ahead of the snapshot
        outbox.send(Frame.text("plain 1"));
        outbox.send(Frame.text("plain 1"));                     // plain frames are all sent
        outbox.sendLatest("B", Frame.text("b2"));
        while (peer.onTheWire() > 0) {
            peer.completeOne();
        }
        assertEquals(List.of("first", "a2", "snapshot", "b2", "plain 1", "plain 1"), peer.sent);
        assertEquals(2, outbox.conflated());
        assertEquals(0, outbox.pendingMessages());
    }

    @Test
    void aKeyGoneOnTheWireStartsANewSlot() {
        FakePeer peer = new FakePeer();
        Outbox outbox = outbox(peer, 1000);
        outbox.send(Frame.text("blocker"));
        outbox.sendLatest("A", Frame.text("a1"));
        peer.completeOne();                                      // a1 goes on the wire
        assertEquals(Outbox.Offered.QUEUED, outbox.sendLatest("A", Frame.text("a2")), "a1 is no longer replaceable");
        peer.completeOne();
        peer.completeOne();
        assertEquals(List.of("blocker", "a1", "a2"), peer.sent);
        assertEquals(0, outbox.conflated());
    }

    @Test
    void discardLatestDropsTheWaitingFrameOnly() {
        FakePeer peer = new FakePeer();
        Outbox outbox = outbox(peer, 1000);
        outbox.send(Frame.text("blocker"));
        outbox.sendLatest("A", Frame.text("a1"));
        outbox.sendLatest("B", Frame.text("b1"));
        assertTrue(outbox.discardLatest("A"));
        assertFalse(outbox.discardLatest("A"));
        assertEquals(2, outbox.pendingMessages());
        outbox.send(Frame.text("unsubscribed A"));
        while (peer.onTheWire() > 0) {
            peer.completeOne();
        }
        assertEquals(List.of("blocker", "b1", "unsubscribed A"), peer.sent);
        assertEquals(0, outbox.pendingMessages());
        assertEquals(0, outbox.pendingBytes());
    }

    @Test
    void slotsCountAgainstTheBound() {
        FakePeer peer = new FakePeer();
        Outbox outbox = outbox(peer, 3);
        outbox.sendLatest("A", Frame.text("a"));                // on the wire
        outbox.sendLatest("B", Frame.text("b"));
        outbox.sendLatest("C", Frame.text("c"));
        assertEquals(Outbox.Offered.REPLACED, outbox.sendLatest("C", Frame.text("c2")), "a replacement adds nothing");
        assertEquals(Outbox.Offered.REFUSED, outbox.sendLatest("D", Frame.text("d")), "a fourth key passes the bound");
        assertFalse(outbox.isOpen());
        assertEquals(0, outbox.pendingLatest(), "a closed outbox frees its slots");
        assertEquals(Outbox.Offered.REFUSED, outbox.sendLatest("A", Frame.text("a2")));
        assertEquals(null, peer.closedWith, "the session's close waits for the send on the wire");
        peer.completeOne();
        assertEquals(CloseReason.CloseCodes.VIOLATED_POLICY, peer.closedWith.getCloseCode());
        assertEquals(List.of("a"), peer.sent, "nothing after the decision to close");
    }

    @Test
    void aCloseThatWaitsForASendThatNeverCompletesIsMadeByTheHeartbeatAfterTheGrace() {
        FakePeer peer = new FakePeer();
        Outbox outbox = outbox(peer, 1);
        outbox.sendLatest("A", Frame.text("a"));                // on the wire, never completed
        assertEquals(Outbox.Offered.REFUSED, outbox.sendLatest("B", Frame.text("b")));
        long decided = System.nanoTime();
        outbox.closeIfOverdue(decided);
        assertEquals(null, peer.closedWith, "within the grace: still waiting for the send");
        outbox.closeIfOverdue(decided + Outbox.CLOSE_GRACE.toNanos() + 1_000_000);
        assertEquals(CloseReason.CloseCodes.VIOLATED_POLICY, peer.closedWith.getCloseCode());
    }

    @Test
    void concurrentProducersNeverLoseTheNewestOrExceedOneSlotPerKey() throws Exception {
        FakePeer peer = new FakePeer();
        Outbox outbox = outbox(peer, 1000);
        int keys = 20;
        int rounds = 5_000;
        ExecutorService producers = Executors.newFixedThreadPool(4);
        CountDownLatch done = new CountDownLatch(4);
        List<Integer> maxPending = new CopyOnWriteArrayList<>();
        for (int p = 0; p < 4; p++) {
            int producer = p;
            producers.execute(() -> {
                int max = 0;
                for (int r = 0; r < rounds; r++) {
                    for (int k = producer; k < keys; k += 4) {
                        outbox.sendLatest("K" + k, Frame.text("K" + k + " " + r));
                    }
                    max = Math.max(max, outbox.pendingLatest());
                    if (r % 97 == 0 && peer.onTheWire() > 0) {
                        try {
                            peer.completeOne(); // the peer reads now and then, from any thread
                        } catch (IndexOutOfBoundsException raced) {
                            // another producer completed it first
                        }
                    }
                }
                maxPending.add(max);
                done.countDown();
            });
        }
        assertTrue(done.await(60, TimeUnit.SECONDS));
        producers.shutdown();
        while (peer.onTheWire() > 0) {
            peer.completeOne();
        }
        assertTrue(maxPending.stream().allMatch(m -> m <= keys), "at most one slot per key: " + maxPending);
        List<String> last = new ArrayList<>();
        for (int k = 0; k < keys; k++) {
            String key = "K" + k + " ";
            String newest = null;
            for (String text : peer.sent) {
                if (text.startsWith(key)) {
                    newest = text;
                }
            }
            last.add(newest);
        }
        for (int k = 0; k < keys; k++) {
            assertEquals("K" + k + " " + (rounds - 1), last.get(k), "the newest frame of every key arrives last");
        }
        assertEquals(0, outbox.pendingMessages());
        assertEquals(0, outbox.pendingBytes());
    }
}
