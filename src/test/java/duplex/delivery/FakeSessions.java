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

/**
 * Outboxes on fake sessions for unit tests of what stands on delivery (rooms, hubs): every send
 * completes at once on the caller's thread, as Tomcat's do when the socket takes them, and is
 * recorded; closes are recorded too. The client address is the test's to choose.
 */
public final class FakeSessions {

    private static int ids;

    private FakeSessions() {
    }

    /** A peer that reads everything: what it was sent, and how it was closed. */
    public static final class Peer {
        public final List<String> received = new CopyOnWriteArrayList<>();
        public volatile CloseReason closedWith;
        public final Outbox outbox;

        Peer(String address, MemoryBudget budget) {
            String id = "fake-" + next();
            Map<String, Object> properties = new ConcurrentHashMap<>();
            properties.put(RemoteAddress.USER_PROPERTY, address);
            RemoteEndpoint.Async remote = (RemoteEndpoint.Async) Proxy.newProxyInstance(FakeSessions.class.getClassLoader(),
                    new Class<?>[] {RemoteEndpoint.Async.class}, (proxy, method, args) -> {
                        switch (method.getName()) {
                            case "sendText" -> {
                                received.add((String) args[0]);
                                ((SendHandler) args[1]).onResult(new SendResult());
                            }
                            case "sendBinary" -> ((SendHandler) args[1]).onResult(new SendResult());
                            case "sendPing", "setSendTimeout" -> { }
                            default -> throw new UnsupportedOperationException(method.getName());
                        }
                        return null;
                    });
            Session session = (Session) Proxy.newProxyInstance(FakeSessions.class.getClassLoader(), new Class<?>[] {Session.class},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "getAsyncRemote" -> remote;
                        case "getId" -> id;
                        case "isOpen" -> closedWith == null;
                        case "getUserProperties" -> properties;
                        case "close" -> {
                            closedWith = args == null ? new CloseReason(CloseReason.CloseCodes.NORMAL_CLOSURE, "") : (CloseReason) args[0];
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        case "toString" -> id;
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
            this.outbox = new Outbox(session, "test", Runnable::run, Runnable::run, 1000, 1 << 20, 30_000, Traffic.NONE,
                    budget, null);
        }
    }

    /** A peer from {@code address} whose charged sends go to {@code budget} (null: none). */
    public static Peer peer(String address, MemoryBudget budget) {
        return new Peer(address, budget);
    }

    private static synchronized int next() {
        return ++ids;
    }
}
