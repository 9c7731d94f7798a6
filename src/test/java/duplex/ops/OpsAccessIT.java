package duplex.ops;

import duplex.testing.LogCapture;
import duplex.testing.RawWebSocket;
import duplex.testing.ServerUnderTest;
import duplex.testing.TomcatServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The operations views with credentials required ({@code duplex.ops.token} and
 * {@code duplex.ops.role=staff}), on Tomcat with a users file (alice is staff, bob is not).
 */
class OpsAccessIT {

    private static final String TOKEN = "ops-token-0123456789abcdef";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static TomcatServer tomcat;

    @BeforeAll
    static void start() {
        tomcat = ServerUnderTest.tomcat(Map.of("duplex.ops.token", TOKEN, "duplex.ops.role", "staff"),
                Path.of("src/test/resources/duplex/guard/tomcat-users.xml"));
    }

    @AfterAll
    static void stop() {
        tomcat.close();
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    static HttpResponse<String> get(URI uri, String authorization) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri);
            if (authorization != null) {
                request.header("Authorization", authorization);
            }
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static URI raw(String path) {
        return URI.create(tomcat.http("").toString() + path);
    }

    @Test
    void metricsAndTheDashboardNeedTheTokenOrTheRole() {
        for (String path : List.of("metrics", "dashboard.html")) {
            HttpResponse<String> anonymous = get(tomcat.http(path), null);
            assertEquals(401, anonymous.statusCode(), path);
            assertTrue(anonymous.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic"), path + ": the login challenge");
            assertEquals(200, get(tomcat.http(path), "Bearer " + TOKEN).statusCode(), path);
            assertEquals(401, get(tomcat.http(path), "Bearer wrong-token-0123456789").statusCode(), path);
            assertEquals(200, get(tomcat.http(path), basic("alice", "alice-secret")).statusCode(), path);
            assertEquals(403, get(tomcat.http(path), basic("bob", "bob-secret")).statusCode(), path);
            assertEquals(401, get(tomcat.http(path), basic("alice", "wrong")).statusCode(), path);
        }
        assertTrue(get(tomcat.http("metrics"), "Bearer " + TOKEN).body().contains("duplex_sessions_open"));
        // Other spellings that reach the same servlet or file are protected too.
        for (String path : List.of("metrics;x=1", "./metrics", "x/../metrics", "%6Detrics", "dashboard.html;x")) {
            int status = get(raw(path), null).statusCode();
            assertTrue(status == 401 || status == 400 || status == 404, path + " answered " + status);
        }
    }

    @Test
    void healthStaysOpenForLoadBalancers() {
        assertEquals(200, get(tomcat.http("health"), null).statusCode());
        assertEquals(200, get(tomcat.http("echo.html"), null).statusCode(), "the other pages stay open");
    }

    private static RawWebSocket.Response handshake(URI uri, String authorization) {
        return RawWebSocket.answerTo(uri, authorization);
    }

    @Test
    void theDashboardFeedNeedsThemToo() {
        RawWebSocket.Response anonymous = handshake(tomcat.ws("stats"), null);
        assertEquals(401, anonymous.status(), anonymous.statusLine());
        assertEquals(401, handshake(tomcat.ws("stats"), "Bearer nope-nope-nope-nope").status());
        assertEquals(403, handshake(tomcat.ws("stats"), basic("bob", "bob-secret")).status());
        assertEquals(401, handshake(URI.create(tomcat.ws("").toString() + "stats;x=1"), null).status());
        for (String authorization : List.of("Bearer " + TOKEN, basic("alice", "alice-secret"))) {
            try (RawWebSocket raw = RawWebSocket.open(tomcat.ws("stats"), Map.of("Authorization", authorization))) {
                RawWebSocket.Frame first = raw.readFrame();
                assertEquals(RawWebSocket.TEXT, first.opcode(), "the history comes first, then snapshots");
            }
        }
    }

    @Test
    void refusalsAreOneLineWithoutTheToken() {
        try (LogCapture log = new LogCapture("duplex")) {
            assertEquals(401, get(tomcat.http("metrics"), "Bearer " + TOKEN + "x").statusCode());
            assertEquals(401, handshake(tomcat.ws("stats"), "Bearer " + TOKEN + "y").status());
            assertTrue(log.messages().stream().anyMatch(m -> m.contains("wrong bearer token")), log.messages().toString());
            assertFalse(log.messages().stream().anyMatch(m -> m.contains(TOKEN)), "the token is never logged");
            assertEquals(List.of(), log.severeOrStackTraces());
        }
    }
}
