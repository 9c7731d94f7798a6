package duplex.guard;

import duplex.app.Duplex;
import duplex.app.DuplexConfigurator;
import jakarta.websocket.server.ServerEndpoint;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The origin policy, the staff rooms and the per-address limit live in DuplexConfigurator and
 * Connections: an endpoint that used another configurator would silently have none of them.
 */
class EveryEndpointIsGuardedTest {

    @Test
    void everyEndpointUsesTheDuplexConfigurator() {
        assertFalse(Duplex.ENDPOINTS.isEmpty());
        for (Class<?> endpoint : Duplex.ENDPOINTS) {
            ServerEndpoint annotation = endpoint.getAnnotation(ServerEndpoint.class);
            assertNotNull(annotation, endpoint + " is not a @ServerEndpoint");
            assertEquals(DuplexConfigurator.class, annotation.configurator(), endpoint + " bypasses the handshake checks");
        }
    }
}
