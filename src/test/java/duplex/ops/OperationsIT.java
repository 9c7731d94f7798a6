package duplex.ops;

import duplex.testing.Scrape;
import duplex.testing.ServerUnderTest;
import duplex.testing.ServerUnderTestExtension;
import duplex.testing.WsClient;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.StringReader;
import java.net.http.HttpResponse;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * /health, /metrics, the dashboard page and its /stats feed, with default settings: on the WAR
 * in an embedded Tomcat 11 (where Tyrus, which has no servlets, is configured), or unchanged on the
 * server -Dduplex.server names or a deployed server given -Dduplex.baseUrl (the deployment suites
 * run it on Tomcat 11, Tomcat 10.1 and Payara Micro). Other tests may share a
 * deployed server, so figures are checked as changes, never as absolute values.
 */
@ExtendWith(ServerUnderTestExtension.class)
@ServerUnderTestExtension.NeedsServlets
class OperationsIT {

    private static ServerUnderTest server;

    @BeforeAll
    static void start(ServerUnderTest configured) {
        server = configured;
    }

    private static JsonObject json(String text) {
        return Json.createReader(new StringReader(text)).readObject();
    }

    private static JsonObject health() throws Exception {
        HttpResponse<String> response = OpsIT.get(server.http("health"), null);
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        return json(response.body());
    }

    private static Scrape scrape() throws Exception {
        HttpResponse<String> response = OpsIT.get(server.http("metrics"), "text/plain");
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").replace(" ", "").startsWith("text/plain;version=0.0.4"));
        return Scrape.parse(response.body());
    }

    @Test
    void healthIsUpAndSeesAnEchoConnection() throws Exception {
        JsonObject before = health();
        assertEquals("UP", before.getString("status"));
        assertEquals("local", before.getJsonObject("bus").getString("type"));
        assertTrue(before.getJsonObject("connections").containsKey("echo"), before.toString());
        try (WsClient client = WsClient.connect(server.ws("echo"))) {
            client.send("ping");
            assertEquals("ping", client.nextText());
            assertTrue(health().getJsonObject("connections").getInt("echo") >= 1);
        }
    }

    @Test
    void metricsParseAndCountAnEchoRoundTrip() throws Exception {
        double receivedBefore = scrape().value("duplex_messages_received_total", "endpoint", "echo");
        try (WsClient client = WsClient.connect(server.ws("echo"))) {
            client.send("counted");
            assertEquals("counted", client.nextText());
        }
        await().atMost(WsClient.TIMEOUT).until(() ->
                scrape().value("duplex_messages_received_total", "endpoint", "echo") >= receivedBefore + 1);
        Scrape scrape = scrape();
        assertTrue(scrape.value("duplex_sessions_opened_total", "endpoint", "echo") >= 1);
        assertTrue(scrape.value("jvm_threads_live_threads") > 0);
        assertTrue(scrape.family("duplex_closes_total").isPresent());
    }

    @Test
    void metricsAreServedAsOpenMetricsWhenAskedFor() throws Exception {
        HttpResponse<String> response = OpsIT.get(server.http("metrics"), "application/openmetrics-text; version=1.0.0");
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/openmetrics-text"));
        assertTrue(response.body().contains("duplex_sessions_open{endpoint=\"echo\"}"));
        assertTrue(response.body().endsWith("# EOF\n"));
    }

    @Test
    void theDashboardPageIsServedAndItsFeedSendsSnapshots() throws Exception {
        HttpResponse<String> page = OpsIT.get(server.http("dashboard.html"), null);
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        assertTrue(page.body().contains("Duplex.wsUrl(\"stats\")"), "the page reads the /stats feed");
        assertTrue(!page.body().contains("https://") && !page.body().contains("http://"), "nothing from a CDN");
        try (WsClient feed = WsClient.connect(server.ws("stats"))) {
            assertEquals("history", json(feed.nextText()).getString("type"));
            JsonObject snapshot = json(feed.nextText());
            assertEquals("snapshot", snapshot.getString("type"));
            assertEquals("UP", snapshot.getString("status"));
            assertTrue(snapshot.getJsonObject("point").getJsonObject("connections").getInt("stats") >= 1);
        }
    }
}
