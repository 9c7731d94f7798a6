package duplex.guard;

import duplex.testing.ServerUnderTest;
import duplex.testing.TyrusServer;
import duplex.testing.TomcatServer;
import duplex.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.WebSocketHandshakeException;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The origin policy with its knob, on embedded Tyrus (configurator) and Tomcat (filter), with a
 * real client (the JDK's, which lets a test set the Origin header as a browser would).
 */
class OriginIT {

    /** The HTTP status of a refused handshake, or 101 when it was accepted. */
    static int handshake(URI uri, String origin) {
        try {
            var socket = WsClient.attempt(uri, origin == null ? Map.of() : Map.of("Origin", origin))
                    .orTimeout(WsClient.TIMEOUT.toSeconds(), TimeUnit.SECONDS).join();
            socket.abort();
            return 101;
        } catch (CompletionException e) {
            WebSocketHandshakeException refused = assertInstanceOf(WebSocketHandshakeException.class, e.getCause(), e.toString());
            return refused.getResponse().statusCode();
        }
    }

    private static void allowlistApplies(URI echo) {
        assertEquals(101, handshake(echo, "https://app.example.com"));
        assertEquals(101, handshake(echo, "http://localhost:" + echo.getPort()));
        assertEquals(101, handshake(echo, null));
        assertEquals(403, handshake(echo, "https://evil.example.com"));
        assertEquals(403, handshake(echo, "https://app.example.com:8443"));
    }

    @Test
    void allowlistOnTyrus() {
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of("duplex.allowed-origins", "https://app.example.com"))) {
            allowlistApplies(server.ws("echo"));
            // Refused handshakes never reached an endpoint; accepted ones are gone again.
            org.awaitility.Awaitility.await().atMost(WsClient.TIMEOUT).until(() -> server.duplex().connections().count() == 0);
        }
    }

    @Test
    void refusedOnTyrusNeverReachesAnEndpoint() {
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of());
             WsClient bystander = WsClient.connect(server.ws("echo"))) {
            // A round trip first: once it is back, the server has registered the bystander.
            bystander.send("ready");
            assertEquals("ready", bystander.nextText());
            assertEquals(1, server.duplex().connections().count());
            assertEquals(403, handshake(server.ws("echo"), "https://evil.example.com"));
            // Tyrus's own refusal from checkOrigin has no Content-Length, so the JDK client would
            // wait for a body until the connection closes; the status line is what counts here.
            try (duplex.testing.RawWebSocket raw = duplex.testing.RawWebSocket.connect(server.ws("echo"))) {
                assertEquals(403, raw.handshake(server.ws("echo"), Map.of("Origin", "null")).status());
            }
            assertEquals(1, server.duplex().connections().count());
            bystander.send("fine");
            assertEquals("fine", bystander.nextText());
        }
    }

    @Test
    void starAllowsEveryOriginOnTyrus() {
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of("duplex.allowed-origins", "*"))) {
            assertEquals(101, handshake(server.ws("echo"), "https://evil.example.com"));
            try (duplex.testing.RawWebSocket raw = duplex.testing.RawWebSocket.connect(server.ws("echo"))) {
                assertEquals(101, raw.handshake(server.ws("echo"), Map.of("Origin", "null")).status());
            }
        }
    }

    @Test
    void allowlistOnTomcat() {
        try (TomcatServer server = ServerUnderTest.tomcat(Map.of("duplex.allowed-origins", "https://app.example.com"))) {
            allowlistApplies(server.ws("echo"));
            // The page of the application itself still loads: the filter only looks at upgrades.
            assertEquals(200, OriginIT.get(server.http("echo.html"), "https://evil.example.com"));
        }
    }

    @Test
    void perAddressLimitFollowsItsKnob() {
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of("duplex.max-connections-per-address", "2"));
             WsClient first = WsClient.connect(server.ws("echo"));
             WsClient second = WsClient.connect(server.ws("echo"))) {
            // Round trips first: once they are back, the server has counted both connections
            // (a handshake completes on the client before the server's @OnOpen has run).
            first.send("one");
            assertEquals("one", first.nextText());
            second.send("two");
            assertEquals("two", second.nextText());
            try (WsClient third = WsClient.connect(server.ws("echo"))) {
                WsClient.Closed closed = third.awaitClose();
                assertEquals(1013, closed.code());
                assertEquals("too many connections from your address", closed.reason());
            }
            first.send("still served");
            assertEquals("still served", first.nextText());
            first.close();
            org.awaitility.Awaitility.await().atMost(WsClient.TIMEOUT).untilAsserted(() -> {
                try (WsClient again = WsClient.connect(server.ws("echo"))) {
                    again.send("a slot is free again");
                    assertEquals("a slot is free again", again.nextText());
                }
            });
            assertThrows(AssertionError.class, () -> second.next(java.time.Duration.ofMillis(1)), "the others saw nothing");
        }
    }

    @Test
    void onStandaloneTyrusWithNoLoginAStaffRoomIsRefusedToEveryone() {
        org.junit.jupiter.api.Assumptions.assumeTrue(duplex.app.Duplex.ENDPOINTS.stream()
                .anyMatch(e -> e.getSimpleName().equals("ChatEndpoint")), "no chat endpoint yet");
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of());
             duplex.testing.RawWebSocket raw = duplex.testing.RawWebSocket.connect(server.ws("chat/staff-ops"))) {
            assertEquals(403, raw.handshake(server.ws("chat/staff-ops"), Map.of()).status());
        }
    }

    /** A raw handshake's status with these headers (a null value drops a standard header). */
    static int rawStatus(URI uri, Map<String, String> headers) {
        try (duplex.testing.RawWebSocket raw = duplex.testing.RawWebSocket.connect(uri)) {
            return raw.handshake(uri, headers).status();
        }
    }

    @Test
    void aTlsDeploymentBehindATrustedProxyRefusesAnHttpPage() {
        // The test client is the "proxy" (127.0.0.1, listed): it says the page came over https.
        try (TomcatServer server = ServerUnderTest.tomcat(Map.of("duplex.trusted-proxies", "127.0.0.1"))) {
            URI echo = server.ws("echo");
            String host = "localhost:" + echo.getPort();
            assertEquals(403, rawStatus(echo, Map.of("Origin", "http://" + host, "X-Forwarded-Proto", "https")));
            assertEquals(101, rawStatus(echo, Map.of("Origin", "https://" + host, "X-Forwarded-Proto", "https")));
            assertEquals(101, rawStatus(echo, Map.of("Origin", "http://" + host)), "no header: the connection's own scheme");
        }
        // From a peer that is not listed, X-Forwarded-Proto changes nothing.
        try (TomcatServer server = ServerUnderTest.tomcat(Map.of())) {
            URI echo = server.ws("echo");
            String host = "localhost:" + echo.getPort();
            assertEquals(403, rawStatus(echo, Map.of("Origin", "https://" + host, "X-Forwarded-Proto", "https")));
            assertEquals(101, rawStatus(echo, Map.of("Origin", "http://" + host, "X-Forwarded-Proto", "https")));
        }
    }

    private static void publicOriginStopsRebinding(URI echo) {
        // DNS rebinding: the attacker's name as Origin and Host, the two agreeing.
        assertEquals(403, rawStatus(echo, Map.of("Origin", "http://evil.example:" + echo.getPort(), "Host", "evil.example:" + echo.getPort())));
        // The page of the public origin connects, whatever Host the proxy in front passes on.
        assertEquals(101, rawStatus(echo, Map.of("Origin", "https://chat.example.com")));
        // Its http twin is another origin.
        assertEquals(403, rawStatus(echo, Map.of("Origin", "http://chat.example.com", "Host", "chat.example.com")));
        assertEquals(101, rawStatus(echo, Map.of()), "no Origin: not a browser");
    }

    @Test
    void aPublicOriginStopsDnsRebindingOnTomcat() {
        try (TomcatServer server = ServerUnderTest.tomcat(Map.of("duplex.public-origin", "https://chat.example.com"))) {
            publicOriginStopsRebinding(server.ws("echo"));
        }
    }

    @Test
    void aPublicOriginStopsDnsRebindingOnTyrus() {
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of("duplex.public-origin", "https://chat.example.com"))) {
            publicOriginStopsRebinding(server.ws("echo"));
        }
    }

    @Test
    void withoutAPublicOriginTheSchemeStillCountsOnTyrus() {
        try (TyrusServer server = ServerUnderTest.tyrus(Map.of())) {
            URI echo = server.ws("echo");
            assertEquals(403, rawStatus(echo, Map.of("Origin", "https://localhost:" + echo.getPort())), "an https page, a ws: server");
            assertEquals(101, rawStatus(echo, Map.of("Origin", "http://localhost:" + echo.getPort())));
        }
    }

    static int get(URI uri, String origin) {
        try {
            var request = java.net.http.HttpRequest.newBuilder(uri).header("Origin", origin).GET().build();
            return java.net.http.HttpClient.newHttpClient().send(request, java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
