package duplex.delivery;

import duplex.guard.MemoryBudget;
import jakarta.websocket.CloseReason;
import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * Outboxes on fake sessions for unit tests of what stands on delivery (rooms, hubs, the
 * heartbeat): every send is recorded and, by default, completes at once on the caller's thread,
 * as Tomcat's do when the socket takes them; a {@link #stalled} peer's sends stay on the wire
 * until the test completes them, like a peer that stopped reading. Pings and closes are recorded
 * too. The client address is the test's to choose.
 */
public final class FakeSessions {

    private static int ids;

    private FakeSessions() {
    }

    /** A peer that reads everything: what it was sent, its pings, and how it was closed. */
    public static final class Peer {
        public final List<String> received = new CopyOnWriteArrayList<>();
        public volatile CloseReason closedWith;
        /** When each ping was sent (System.nanoTime), in order. */
        public final List<Long> pings = new CopyOnWriteArrayList<>();
        /** Run after each ping, on the thread that sent it: a peer that answers pings sets {@code outbox::heard}. */
        public volatile Runnable onPing = () -> { };
        public final Session session;
        public final Outbox outbox;
        private final boolean holdSends;
        /** The completions of sends still on the wire (a stalled peer's), oldest first. */
        private final List<SendHandler> onTheWire = new CopyOnWriteArrayList<>();

        Peer(String address, boolean holdSends, Function<Session, Outbox> outboxFor) {
            this.holdSends = holdSends;
            String id = "fake-" + next();
            Map<String, Object> properties = new ConcurrentHashMap<>();
            properties.put(RemoteAddress.USER_PROPERTY, address);
            RemoteEndpoint.Async remote = (RemoteEndpoint.Async) Proxy.newProxyInstance(FakeSessions.class.getClassLoader(),
                    new Class<?>[] {RemoteEndpoint.Async.class}, (proxy, method, args) -> {
                        switch (method.getName()) {
                            case "sendText" -> {
                                received.add((String) args[0]);
                                completeOrHold((SendHandler) args[1]);
                            }
                            case "sendBinary" -> completeOrHold((SendHandler) args[1]);
                            case "sendPing" -> {
                                pings.add(System.nanoTime());
                                onPing.run();
                            }
                            case "setSendTimeout" -> { }
                            default -> throw new UnsupportedOperationException(method.getName());
                        }
                        return null;
                    });
            this.session = (Session) Proxy.newProxyInstance(FakeSessions.class.getClassLoader(), new Class<?>[] {Session.class},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "getAsyncRemote" -> remote;
                        case "getId" -> id;
                        case "isOpen" -> closedWith == null;
                        case "getUserProperties" -> properties;
                        case "getNegotiatedSubprotocol" -> "";
                        case "close" -> {
                            closedWith = args == null ? new CloseReason(CloseReason.CloseCodes.NORMAL_CLOSURE, "") : (CloseReason) args[0];
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        case "toString" -> id;
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
            this.outbox = outboxFor.apply(session);
        }

        private void completeOrHold(SendHandler handler) {
            if (holdSends) {
                onTheWire.add(handler);
            } else {
                handler.onResult(new SendResult());
            }
        }

        /** Sends on the wire, not yet completed (only a stalled peer has any). */
        public int onTheWire() {
            return onTheWire.size();
        }

        /** Completes the oldest send on the wire, on the caller's thread (the next one may start on it). */
        public void completeOne() {
            onTheWire.remove(0).onResult(new SendResult());
        }

        /** Completes sends until none is on the wire: the peer reads everything queued for it. */
        public void catchUp() {
            while (!onTheWire.isEmpty()) {
                completeOne();
            }
        }
    }

    /** A peer from {@code address} whose charged sends go to {@code budget} (null: none). */
    public static Peer peer(String address, MemoryBudget budget) {
        return new Peer(address, false, session -> outbox(session, budget));
    }

    /** A peer that does not read: each send stays on the wire until the test completes it ({@link Peer#completeOne}). */
    public static Peer stalled(String address, MemoryBudget budget) {
        return new Peer(address, true, session -> outbox(session, budget));
    }

    /**
     * A peer whose outbox someone else makes of its session, such as
     * {@code duplex.connection.Connections#open}; {@code holdSends} as for {@link #stalled}.
     */
    public static Peer peer(String address, boolean holdSends, Function<Session, Outbox> outboxFor) {
        return new Peer(address, holdSends, outboxFor);
    }

    private static Outbox outbox(Session session, MemoryBudget budget) {
        return new Outbox(session, "test", Runnable::run, Runnable::run, 1000, 1 << 20, 30_000, Traffic.NONE, budget, null);
    }

    private static synchronized int next() {
        return ++ids;
    }
}
