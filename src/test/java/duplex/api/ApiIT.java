package duplex.api;

import duplex.protocol.Jsons;
import duplex.testing.ServerUnderTest;
import duplex.testing.TomcatServer;
import duplex.testing.WsClient;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.StringReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP API on the WAR in an embedded Tomcat: a backend's publication reaches a /live
 * subscriber; every status the API answers, with its error code; nothing half-applied.
 */
class ApiIT {

    private static final String SHOP = "shop-secret-0123456789";
    private static final String OPS = "ops-secret-0123456789";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dir;
    private static TomcatServer server;

    @BeforeAll
    static void start() throws IOException {
        Path namespaces = Files.writeString(dir.resolve("namespaces.json"), """
                {"news": {"history": 100},
                 "comments": {"clientPublish": true, "history": 200},
                 "crowd": {"presence": true, "history": 10},
                 "vip": {"apiKeys": ["ops"], "history": 5}}
                """);
        server = ServerUnderTest.tomcat(Map.of("duplex.api.keys", "shop=" + SHOP + ",ops=" + OPS,
                "duplex.live.namespaces", namespaces.toString(), "duplex.live.max-publication-bytes", "1024"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    record Answer(int status, JsonObject body) {
        String code() {
            return body.getJsonObject("error").getString("code");
        }
    }

    static Answer call(TomcatServer on, String method, String path, String key, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(on.http("api/" + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), response.toString());
        try (var reader = Jsons.createReader(new StringReader(response.body()))) {
            return new Answer(response.statusCode(), reader.readObject());
        }
    }

    private static Answer post(String path, String body) throws Exception {
        return call(server, "POST", path, SHOP, body);
    }

    private static JsonObject json(String text) {
        try (var reader = Jsons.createReader(new StringReader(text))) {
            return reader.readObject();
        }
    }

    @Test
    void aPublishReachesALiveSubscriberWithItsSeqAndEpoch() throws Exception {
        try (WsClient browser = WsClient.connect(server.ws("live"))) {
            browser.send("{\"type\":\"subscribe\",\"channel\":\"news:front\"}");
            JsonObject subscribed = json(browser.nextText());
            assertEquals("subscribed", subscribed.getString("type"));
            Answer answer = post("publish", "{\"channel\":\"news:front\",\"data\":{\"title\":\"Hello\"}}");
            assertEquals(200, answer.status(), answer.body().toString());
            assertEquals(subscribed.getInt("seq") + 1, answer.body().getInt("seq"));
            assertEquals(subscribed.getString("epoch"), answer.body().getString("epoch"));
            JsonObject pub = json(browser.nextText());
            assertEquals("pub", pub.getString("type"));
            assertEquals("Hello", pub.getJsonObject("data").getString("title"));
            assertEquals(answer.body().getInt("seq"), pub.getInt("seq"));
        }
    }

    @Test
    void theSameIdempotencyKeyPublishesOnceAndAnswersTheSame() throws Exception {
        String body = "{\"channel\":\"news:idem\",\"data\":1,\"idempotencyKey\":\"order-17\"}";
        Answer first = post("publish", body);
        Answer again = post("publish", body);
        assertEquals(200, again.status());
        assertEquals(first.body(), again.body());
        Answer other = post("publish", "{\"channel\":\"news:idem\",\"data\":1,\"idempotencyKey\":\"order-18\"}");
        assertEquals(first.body().getInt("seq") + 1, other.body().getInt("seq"), "published once, the next one follows");
        Answer history = call(server, "GET", "channels/news:idem/history", SHOP, null);
        assertEquals(2, history.body().getJsonArray("publications").size(), history.body().toString());
    }

    @Test
    void broadcastPublishesToEveryChannelOrToNoneWhenOneIsRefused() throws Exception {
        Answer refused = post("broadcast", "{\"channels\":[\"news:b1\",\"vip:b\"],\"data\":{}}");
        assertEquals(403, refused.status(), "shop may not use vip");
        assertEquals(0, call(server, "GET", "channels/news:b1/history", SHOP, null).body().getJsonArray("publications").size(),
                "nothing half-applied");
        Answer done = post("broadcast", "{\"channels\":[\"news:b1\",\"comments:b2\"],\"data\":{\"x\":1}}");
        assertEquals(200, done.status(), done.body().toString());
        List<JsonObject> results = done.body().getJsonArray("results").getValuesAs(JsonObject.class);
        assertEquals(List.of("news:b1", "comments:b2"), results.stream().map(r -> r.getString("channel")).toList());
        results.forEach(r -> assertEquals(1, r.getInt("seq")));
    }

    @Test
    void historyChannelsAndPresence() throws Exception {
        for (int i = 1; i <= 3; i++) {
            post("publish", "{\"channel\":\"news:h\",\"data\":" + i + "}");
        }
        Answer page = call(server, "GET", "channels/news:h/history?since=1&limit=1", SHOP, null);
        assertEquals(200, page.status());
        assertEquals(List.of(2), page.body().getJsonArray("publications").getValuesAs(JsonObject.class).stream()
                .map(p -> p.getInt("data")).toList());
        assertEquals(3, page.body().getInt("seq"));
        try (WsClient a = WsClient.connect(server.ws("live"))) {
            a.send("{\"type\":\"subscribe\",\"channel\":\"crowd:p\"}");
            a.nextText();
            Answer presence = call(server, "GET", "channels/crowd:p/presence", SHOP, null);
            assertEquals(200, presence.status(), presence.body().toString());
            assertEquals(1, presence.body().getJsonArray("members").size());
            Answer channels = call(server, "GET", "channels", SHOP, null);
            assertTrue(channels.body().getJsonArray("channels").getValuesAs(JsonObject.class).stream()
                    .anyMatch(c -> c.getString("channel").equals("crowd:p") && c.getInt("subscribers") == 1), channels.body().toString());
            assertEquals(404, call(server, "GET", "channels/news:h/presence", SHOP, null).status(), "news keeps no presence");
        }
    }

    @Test
    void aPostIntoAChatRoomIsAMessageFromTheKeyThatEveryMemberSees() throws Exception {
        try (WsClient alice = WsClient.connect(server.ws("chat/lobby-api?name=Alice"))) {
            assertEquals("welcome", json(alice.nextText()).getString("type"));
            Answer answer = post("publish", "{\"channel\":\"chat:lobby-api\",\"data\":{\"text\":\"Deploy at 18:00\"}}");
            assertEquals(200, answer.status(), answer.body().toString());
            JsonObject message = json(alice.nextText());
            while (!message.getString("type").equals("message")) {
                message = json(alice.nextText()); // presence of Alice herself may come first
            }
            assertEquals("Deploy at 18:00", message.getString("text"));
            assertEquals(answer.body().getInt("seq"), message.getInt("seq"));
            JsonObject from = message.getJsonObject("from");
            assertEquals("api:shop", from.getString("id"));
            assertEquals("shop", from.getString("name"));
            assertTrue(from.getBoolean("verified"));
        }
        assertEquals(400, post("publish", "{\"channel\":\"chat:lobby-api\",\"data\":{\"words\":1}}").status());
        assertEquals(400, post("publish", "{\"channel\":\"chat:no.dots\",\"data\":{\"text\":\"x\"}}").status());
        assertEquals(400, post("publish", "{\"channel\":\"chat:ok\",\"data\":{\"text\":\"\"}}").status(), "the chat's text rule");
    }

    @Test
    void disconnectClosesTheConnectionWith1008() throws Exception {
        try (WsClient a = WsClient.connect(server.ws("live"))) {
            a.send("{\"type\":\"publish\",\"channel\":\"comments:who\",\"data\":0}");
            a.nextText(); // ack
            String id = json(call(server, "GET", "channels/comments:who/history", SHOP, null).body()
                    .getJsonArray("publications").getJsonObject(0).toString()).getJsonObject("from").getString("id");
            Answer answer = post("disconnect", "{\"connection\":\"" + id + "\"}");
            assertEquals(200, answer.status(), answer.body().toString());
            assertEquals(1008, a.awaitClose().code());
            assertEquals(404, post("disconnect", "{\"connection\":\"" + id + "\"}").status());
        }
    }

    @Test
    void everyRefusalHasItsStatusAndCode() throws Exception {
        assertEquals(401, call(server, "POST", "publish", null, "{}").status());
        assertEquals("unauthorized", call(server, "POST", "publish", "wrong-secret-0123456789", "{}").code());
        assertEquals(403, call(server, "POST", "publish", SHOP, "{\"channel\":\"vip:x\",\"data\":1}").status());
        assertEquals(200, call(server, "POST", "publish", OPS, "{\"channel\":\"vip:x\",\"data\":1}").status(), "ops may");
        assertEquals(404, post("publish", "{\"channel\":\"nowhere:x\",\"data\":1}").status());
        assertEquals("invalid", post("publish", "{\"channel\":\"bad/name\",\"data\":1}").code());
        assertEquals(400, post("publish", "{\"channel\":\"news:x\"}").status(), "no data");
        assertEquals(400, post("publish", "{not json").status());
        assertEquals(413, post("publish", "{\"channel\":\"news:x\",\"data\":\"" + "z".repeat(2000) + "\"}").status());
        assertEquals(413, post("publish", "{\"channel\":\"news:x\",\"data\":\"" + "z".repeat(200_000) + "\"}").status());
        assertEquals(404, post("nothing-here", "{}").status());
        assertEquals(405, call(server, "GET", "publish", SHOP, null).status());
        assertEquals(400, call(server, "GET", "channels/news:x/history?limit=0", SHOP, null).status());
    }
}
