package duplex.delivery;

import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The gate over the sends in flight: at most its number of connections have a send on the wire,
 * the others wait in line and go when one completes, a slow send gives its place back, and so
 * does the send of a connection that closed; every connection's frames keep their order.
 */
class SendGateTest {

    /** A peer whose sends complete only when the test says so, as Tomcat's do (later, on another thread). */
    static final class Peer {
        final List<String> wire = new CopyOnWriteArrayList<>();
        final List<SendHandler> pending = new CopyOnWriteArrayList<>();
        final Outbox outbox;

        Peer(SendGate gate, int n) {
            RemoteEndpoint.Async remote = (RemoteEndpoint.Async) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {RemoteEndpoint.Async.class}, (proxy, method, args) -> {
                        if (method.getName().equals("sendText")) {
                            wire.add((String) args[0]);
                            pending.add((SendHandler) args[1]);
                        }
                        return null;
                    });
            Map<String, Object> properties = new ConcurrentHashMap<>();
            Session session = (Session) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Session.class},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "getAsyncRemote" -> remote;
                        case "getId" -> "peer-" + n;
                        case "isOpen" -> true;
                        case "getUserProperties" -> properties;
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default -> null;
                    });
            outbox = new Outbox(session, "test", Runnable::run, Runnable::run, 1000, 1 << 20, 30_000, Traffic.NONE, null, null, gate, true);
        }

        /** Completes the oldest send on the wire. */
        void complete() {
            pending.remove(0).onResult(new SendResult());
        }
    }

    @Test
    void atMostItsNumberOfSendsAreInFlightAndTheRestGoInTurn() {
        SendGate gate = new SendGate(2);
        Peer a = new Peer(gate, 1);
        Peer b = new Peer(gate, 2);
        Peer c = new Peer(gate, 3);
        for (Peer p : List.of(a, b, c)) {
            p.outbox.send(Frame.text("one"));
            p.outbox.send(Frame.text("two"));
        }
        assertEquals(List.of("one"), a.wire);
        assertEquals(List.of("one"), b.wire);
        assertEquals(List.of(), c.wire, "the third waits in line");
        assertEquals(2, gate.inFlight());
        assertEquals(1, gate.waiting());

        a.complete(); // a's place goes to the first in line, c, not back to a
        assertEquals(List.of("one"), c.wire);
        assertEquals(List.of("one"), a.wire);
        b.complete();
        c.complete();
        a.complete();
        b.complete();
        c.complete();
        for (Peer p : List.of(a, b, c)) {
            assertEquals(List.of("one", "two"), p.wire, "every frame, in order");
        }
        assertEquals(0, gate.inFlight());
        assertEquals(0, gate.waiting());
    }

    @Test
    void aSlowSendGivesItsPlaceBackAndSoDoesAClosedConnection() {
        SendGate gate = new SendGate(1);
        Peer stalled = new Peer(gate, 1);
        Peer next = new Peer(gate, 2);
        Peer last = new Peer(gate, 3);
        stalled.outbox.send(Frame.text("stuck"));
        next.outbox.send(Frame.text("waits"));
        last.outbox.send(Frame.text("waits too"));
        assertEquals(List.of(), next.wire);

        stalled.outbox.parkIfSlow(System.nanoTime() + 1_000_000_000L, 0); // on the wire for "long"
        assertEquals(List.of("waits"), next.wire, "the slow send's place went to the next in line");

        next.outbox.closedByPeer(); // its send will never complete: Tomcat may drop the handler
        assertEquals(List.of("waits too"), last.wire);

        stalled.complete(); // completing after being parked does not give a second place back
        last.complete();
        assertEquals(0, gate.inFlight());
    }
}
