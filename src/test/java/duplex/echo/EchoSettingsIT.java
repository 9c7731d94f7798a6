package duplex.echo;

import duplex.testing.ServerUnderTest;
import duplex.testing.TyrusServer;
import duplex.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Behaviour that depends on knobs: always on an embedded server with its own settings. */
class EchoSettingsIT {

    @Test
    void limitsFollowTheirKnobs() {
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of(
                "duplex.echo.max-text-bytes", "10", "duplex.echo.max-binary-bytes", "4"));
             WsClient text = WsClient.connect(server.ws("echo"));
             WsClient binary = WsClient.connect(server.ws("echo"))) {
            text.send("0123456789");
            assertEquals("0123456789", text.nextText());
            text.send("0123456789A");
            assertEquals(1009, text.awaitClose().code());
            binary.send(new byte[4]);
            assertEquals(4, binary.nextBinary().length);
            binary.send(new byte[5]);
            assertEquals(1009, binary.awaitClose().code());
        }
    }

    @Test
    void idleConnectionsAreClosed() {
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of(
                "duplex.idle-timeout", "1s", "duplex.ping-interval", "0"));
             WsClient client = WsClient.connect(server.ws("echo"))) {
            client.send("once");
            assertEquals("once", client.nextText());
            WsClient.Closed closed = client.awaitClose();
            assertEquals(true, closed.code() == 1001 || closed.code() == 1000,
                    "closed for idleness with " + closed);
        }
    }

    @Test
    void shutdownClosesEveryConnectionWith1001() {
        TyrusServer server = ServerUnderTest.tyrus(Map.of());
        try (WsClient a = WsClient.connect(server.ws("echo")); WsClient b = WsClient.connect(server.ws("echo"))) {
            // The client's handshake can complete before the server ran @OnOpen: a session not
            // yet registered is not closed by the application but by the container's stop (1011).
            org.awaitility.Awaitility.await().atMost(WsClient.TIMEOUT).until(() -> server.duplex().connections().count() == 2);
            server.close();
            assertEquals(1001, a.awaitClose().code());
            assertEquals(1001, b.awaitClose().code());
        }
    }
}
