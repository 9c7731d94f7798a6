package duplex.connection;

import duplex.delivery.RemoteAddress;
import duplex.delivery.Traffic;
import duplex.guard.AddressLimiter;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A session that reaches {@code @OnOpen} without the address the handshake guard records was
 * never checked (the guard did not take its request for a handshake): refused with 1008, never
 * counted under a shared "unknown" address that escapes the per-address limit.
 */
class UncheckedHandshakeTest {

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService closer = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
        closer.shutdownNow();
    }

    /** A Tomcat-like session (no getRemoteAddr()) with these user properties. */
    private static Session session(Map<String, Object> userProperties, AtomicReference<CloseReason> closedWith) {
        return (Session) Proxy.newProxyInstance(UncheckedHandshakeTest.class.getClassLoader(), new Class<?>[] {Session.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getId" -> "unchecked";
                    case "getUserProperties" -> userProperties;
                    case "close" -> {
                        closedWith.set((CloseReason) args[0]);
                        yield null;
                    }
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void aSessionWithoutAnAddressIsClosedWith1008() {
        Connections connections = new Connections(new Connections.Limits(10, 10_000, Duration.ofSeconds(5), Duration.ofMinutes(1),
                Duration.ZERO, Duration.ofSeconds(1), 32, true), scheduler, closer, closer, endpoint -> Traffic.NONE,
                new Connections.PerAddress(new AddressLimiter(100), null, null));
        AtomicReference<CloseReason> closedWith = new AtomicReference<>();
        assertThrows(Connections.Refused.class, () -> connections.open("echo", session(new HashMap<>(), closedWith)));
        assertEquals(CloseReason.CloseCodes.VIOLATED_POLICY, closedWith.get().getCloseCode());
        assertEquals(Connections.UNCHECKED, closedWith.get().getReasonPhrase());
        assertEquals(0, connections.count(), "never registered");
    }

    @Test
    void theRecordedAddressIsPreferredToTheContainersPeer() {
        Map<String, Object> properties = new HashMap<>(Map.of(RemoteAddress.USER_PROPERTY, "198.51.100.7"));
        assertEquals("198.51.100.7", RemoteAddress.of(session(properties, new AtomicReference<>())));
        assertEquals(RemoteAddress.UNKNOWN, RemoteAddress.of(session(new HashMap<>(), new AtomicReference<>())));
    }
}
