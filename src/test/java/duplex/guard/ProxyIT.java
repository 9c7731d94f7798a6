package duplex.guard;

import duplex.testing.NginxServer;
import duplex.testing.RawWebSocket;
import duplex.testing.ServerUnderTest;
import duplex.testing.TomcatServer;
import duplex.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The project's own {@code deploy/nginx.conf} (a real nginx) in front of the WAR on Tomcat with
 * {@code duplex.trusted-proxies} listing it: the page's own origin on a port other than 80 is
 * allowed, and the per-address limit counts the clients behind the proxy, not the proxy. And
 * without the knob, a forged {@code X-Forwarded-For} from a direct client changes nothing.
 */
class ProxyIT {

    private static final int CLIENTS = 150;

    private static InetAddress address(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void behindNginxEveryClientIsItsOwnAddressAndThePageItsOwnOrigin() throws Exception {
        assumeTrue(NginxServer.installed(), "nginx is not installed (.ci/run installs it)");
        try (TomcatServer tomcat = ServerUnderTest.tomcat(Map.of("duplex.trusted-proxies", "127.0.0.1",
                "duplex.max-connections-per-address", "100"));
             NginxServer nginx = NginxServer.start(List.of(tomcat.http("").getPort()))) {
            URI echo = nginx.ws("echo");
            // The page as the browser loaded it: through nginx, on its (non-default) port.
            String pageOrigin = "http://127.0.0.1:" + nginx.port();
            List<RawWebSocket> sockets = new ArrayList<>();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<RawWebSocket>> handshakes = new ArrayList<>();
                for (int i = 1; i <= CLIENTS; i++) {
                    InetAddress client = address("127.0.1." + i);
                    handshakes.add(pool.submit(() -> {
                        RawWebSocket raw = RawWebSocket.connect(echo, client);
                        synchronized (sockets) {
                            sockets.add(raw);
                        }
                        RawWebSocket.Response response = raw.handshake(echo, Map.of("Origin", pageOrigin));
                        assertEquals(101, response.status(), client + ": " + response.statusLine());
                        return raw;
                    }));
                }
                List<RawWebSocket> upgraded = new ArrayList<>();
                for (Future<RawWebSocket> handshake : handshakes) {
                    upgraded.add(handshake.get(2, TimeUnit.MINUTES));
                }
                int served = 0;
                for (RawWebSocket raw : upgraded) {
                    raw.sendText("hello " + served);
                    RawWebSocket.Frame frame = raw.readFrame();
                    assertEquals(RawWebSocket.TEXT, frame.opcode(), "answered with " + (frame.opcode() == RawWebSocket.CLOSE
                            ? "close " + frame.closeCode() + " " + frame.closeReason() : "opcode " + frame.opcode()));
                    assertEquals("hello " + served, frame.text());
                    served++;
                }
                assertEquals(CLIENTS, served, "every client behind nginx is served: none shares the proxy's address");
                assertEquals(CLIENTS, tomcat.duplex().connections().count());
            } finally {
                pool.shutdownNow();
                synchronized (sockets) {
                    sockets.forEach(RawWebSocket::close);
                }
            }
            // Another site's page through the same proxy is still refused.
            try (RawWebSocket raw = RawWebSocket.connect(echo)) {
                assertEquals(403, raw.handshake(echo, Map.of("Origin", "http://evil.example:" + nginx.port())).status());
            }
        }
    }

    /** Three connections from one address with a limit of two: the third is closed with 1013, whatever it claims. */
    private static void forgedForwardedForChangesNothing(TomcatServer tomcat, InetAddress from) {
        URI echo = tomcat.ws("echo");
        List<RawWebSocket> open = new ArrayList<>();
        try {
            for (int i = 1; i <= 2; i++) {
                RawWebSocket raw = RawWebSocket.connect(echo, from);
                open.add(raw);
                assertEquals(101, raw.handshake(echo, Map.of("X-Forwarded-For", "198.51.100." + i)).status());
                raw.sendText("x");
                assertEquals("x", raw.readFrame().text());
            }
            try (RawWebSocket third = RawWebSocket.connect(echo, from)) {
                assertEquals(101, third.handshake(echo, Map.of("X-Forwarded-For", "198.51.100.3", "X-Forwarded-Proto", "https")).status());
                assertEquals(1013, third.awaitCloseCode(), "counted under its own address, not the one it claimed");
            }
        } finally {
            open.forEach(RawWebSocket::close);
        }
    }

    @Test
    void withoutTheKnobXForwardedForIsIgnored() {
        try (TomcatServer tomcat = ServerUnderTest.tomcat(Map.of("duplex.max-connections-per-address", "2"))) {
            forgedForwardedForChangesNothing(tomcat, address("127.0.0.1"));
        }
    }

    @Test
    void fromAPeerThatIsNotListedXForwardedForIsIgnored() {
        try (TomcatServer tomcat = ServerUnderTest.tomcat(Map.of("duplex.max-connections-per-address", "2",
                "duplex.trusted-proxies", "127.0.0.1"))) {
            forgedForwardedForChangesNothing(tomcat, address("127.0.0.2"));
        }
    }
}
