package duplex.deploy;

import duplex.protocol.Jsons;
import duplex.testing.ServerUnderTest;
import duplex.testing.WsClient;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * /live and the HTTP API on the WAR as a real server deploys it (Tomcat 11, Tomcat 10.1, Payara
 * Micro), started with {@link Deployment#API_KEYS}: a backend's publication reaches a browser's
 * subscription, a client's publication is acked and fanned out, recovery with since, and the
 * API's refusals. Skipped on embedded Tyrus, which has no servlets (ApiIT covers the API in an
 * embedded Tomcat, LiveIT /live on Tyrus).
 */
class LiveDeployedIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20)).build();
    private static URI base;

    @BeforeAll
    static void deployedOnly() {
        assumeTrue(ServerUnderTest.deployed().isPresent(), "needs a deployed server (-Dduplex.baseUrl)");
        base = ServerUnderTest.deployed().orElseThrow();
    }

    private static WsClient live() {
        URI http = base.resolve("live");
        return WsClient.connect(URI.create(http.toString().replaceFirst("^http", "ws")));
    }

    private static JsonObject json(String text) {
        try (var reader = Jsons.createReader(new StringReader(text))) {
            return reader.readObject();
        }
    }

    private static HttpResponse<String> publish(String secret, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve("api/publish"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        if (secret != null) {
            request.header("Authorization", "Bearer " + secret);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aBackendsPublicationReachesASubscriberAndRecoveryGivesWhatWasMissed() throws Exception {
        String channel = "news:" + UUID.randomUUID().toString().substring(0, 8);
        String epoch;
        try (WsClient browser = live()) {
            browser.send("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\"}");
            JsonObject subscribed = json(browser.nextText());
            assertEquals("subscribed", subscribed.getString("type"), subscribed.toString());
            epoch = subscribed.getString("epoch");
            HttpResponse<String> answer = publish(Deployment.API_SECRET, "{\"channel\":\"" + channel + "\",\"data\":{\"title\":\"one\"}}");
            assertEquals(200, answer.statusCode(), answer.body());
            assertEquals(1, json(answer.body()).getInt("seq"));
            JsonObject pub = json(browser.nextText());
            assertEquals("one", pub.getJsonObject("data").getString("title"));
        }
        assertEquals(200, publish(Deployment.API_SECRET, "{\"channel\":\"" + channel + "\",\"data\":{\"title\":\"two\"}}").statusCode());
        try (WsClient back = live()) {
            back.send("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\",\"since\":{\"seq\":1,\"epoch\":\"" + epoch + "\"}}");
            JsonObject subscribed = json(back.nextText());
            assertTrue(subscribed.getBoolean("recovered"), subscribed.toString());
            assertEquals("two", subscribed.getJsonArray("history").getJsonObject(0).getJsonObject("data").getString("title"));
        }
    }

    @Test
    void aClientsPublicationIsAckedAndFannedOut() {
        String channel = "comments:" + UUID.randomUUID().toString().substring(0, 8);
        try (WsClient alice = live(); WsClient bob = live()) {
            bob.send("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\"}");
            assertEquals("subscribed", json(bob.nextText()).getString("type"));
            alice.send("{\"type\":\"publish\",\"channel\":\"" + channel + "\",\"data\":{\"text\":\"hi\"},\"id\":\"c-1\"}");
            JsonObject ack = json(alice.nextText());
            assertEquals("ack", ack.getString("type"), ack.toString());
            assertEquals("c-1", ack.getString("id"));
            JsonObject pub = json(bob.nextText());
            assertEquals("hi", pub.getJsonObject("data").getString("text"));
            assertEquals(ack.getInt("seq"), pub.getInt("seq"));
            alice.send("{\"type\":\"publish\",\"channel\":\"news:x\",\"data\":1,\"id\":\"c-2\"}");
            assertEquals("forbidden", json(alice.nextText()).getString("code"));
        }
    }

    @Test
    void theApiRefusesWithoutAKeyOrForANamespaceThatDoesNotExist() throws Exception {
        HttpResponse<String> none = publish(null, "{\"channel\":\"news\",\"data\":1}");
        assertEquals(401, none.statusCode());
        assertTrue(none.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), none.headers().toString());
        assertEquals(401, publish("not-the-secret-0123456789", "{\"channel\":\"news\",\"data\":1}").statusCode());
        assertEquals(404, publish(Deployment.API_SECRET, "{\"channel\":\"nowhere:x\",\"data\":1}").statusCode());
        assertEquals(400, publish(Deployment.API_SECRET, "{\"channel\":\"news\"}").statusCode());
    }
}
