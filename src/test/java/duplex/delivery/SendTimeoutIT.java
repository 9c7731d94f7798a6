package duplex.delivery;

import duplex.app.Duplex;
import duplex.testing.ServerUnderTest;
import duplex.testing.TomcatServer;
import duplex.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A send that stays on the wire past {@code duplex.send-timeout} closes its connection. The
 * outbox bound is set out of reach, so only the send timeout (watched by the heartbeat, not by
 * the container) can be what closes it. On Tomcat: on embedded Tyrus a send towards a peer that
 * reads nothing blocks the container's own thread, so the server stops reading too and the
 * connection cannot be closed cleanly from the application (a Tyrus limitation, left alone).
 */
class SendTimeoutIT {

    private static final Map<String, String> KNOBS = Map.of(
            "duplex.send-timeout", "1s",
            "duplex.outbox.max-messages", "1000000",
            "duplex.outbox.max-bytes", String.valueOf(1L << 30));

    @Test
    void aStuckSendClosesTheConnectionOnTomcat() {
        try (TomcatServer server = ServerUnderTest.tomcat(KNOBS)) {
            stallAndAwaitClose(server.duplex(), server.ws("echo"));
        }
    }


    private static void stallAndAwaitClose(Duplex duplex, URI echo) {
        try (WsClient stalled = WsClient.connect(echo)) {
            await().atMost(WsClient.TIMEOUT).until(() -> duplex.connections().count() == 1);
            stalled.stopReading();
            // The echoes fill the socket buffers both ways, then one send can no longer complete.
            String chunk = "s".repeat(16 * 1024);
            long deadline = System.nanoTime() + WsClient.TIMEOUT.toNanos();
            while (duplex.connections().count() == 1 && System.nanoTime() < deadline) {
                try {
                    for (int i = 0; i < 25; i++) {
                        stalled.send(chunk);
                    }
                } catch (RuntimeException closedMeanwhile) {
                    break;
                }
            }
            await().atMost(WsClient.TIMEOUT).pollInterval(Duration.ofMillis(50))
                    .until(() -> duplex.connections().count() == 0);
            assertEquals(0, duplex.connections().count());
        }
    }
}
