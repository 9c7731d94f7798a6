package duplex.cluster;

import duplex.testing.WarServer;
import duplex.testing.WsClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import jakarta.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The application as users run it at scale: two Tomcat nodes on one Redis behind nginx, all
 * real processes. One cluster for the whole class (JVM starts are the slow part); the tests run
 * in order because the last ones break things on purpose.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static Cluster cluster;
    private static RedisClient redisClient;
    private static StatefulRedisConnection<String, String> redis;

    @BeforeAll
    static void startCluster() {
        assumeTrue(Cluster.available(), "redis-server and nginx are not installed (.ci/run installs them)");
        cluster = new Cluster(2);
        redisClient = RedisClient.create(cluster.redis.url());
        redis = redisClient.connect();
    }

    @AfterAll
    static void stopCluster() {
        if (redis != null) {
            redis.close();
            redisClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void bothNodesJoinedTheSameRedis() {
        await().atMost(Duration.ofSeconds(20)).until(() -> redis.sync().keys("duplex:node:*").size() == 2);
    }

    @Test
    @Order(2)
    void nginxServesThePagesAndProxiesWebSocketsToEveryNode() throws Exception {
        HttpResponse<String> root = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cluster.nginx.port() + "/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(302, root.statusCode());
        assertEquals("/duplex/", URI.create(root.headers().firstValue("location").orElseThrow()).getPath());
        HttpResponse<String> page = HTTP.send(HttpRequest.newBuilder(cluster.nginx.http("")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("<html"), page.body());

        // Round robin: of four connections, each node takes some; all of them echo.
        List<WsClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                WsClient client = WsClient.connect(cluster.nginx.ws("echo"), "echo");
                clients.add(client);
                client.send("hello " + i);
                assertEquals("hello " + i, client.nextText());
            }
        } finally {
            clients.forEach(WsClient::close);
        }
    }

    // ------------------------------------------------------------------ chat across nodes

    private static URI chat(duplex.testing.WarServer node, String room, String query) {
        return node.ws("chat/" + room + "?" + query);
    }

    @Test
    @Order(10)
    void messagesReachEveryNodeInOneOrderWithOneGaplessSeq() throws Exception {
        try (ChatClient alice = ChatClient.join(chat(cluster.node(1), "cross", "name=Alice"));
             ChatClient bob = ChatClient.join(chat(cluster.node(2), "cross", "name=Bob"))) {
            assertEquals("Bob", alice.nextOfType("joined").getJsonObject("member").getString("name"), "presence crosses nodes");
            int each = 40;
            Thread fromAlice = new Thread(() -> {
                for (int i = 0; i < each; i++) {
                    alice.say("a" + i);
                }
            });
            fromAlice.start();
            for (int i = 0; i < each; i++) {
                bob.say("b" + i);
            }
            fromAlice.join();
            List<String> seenByAlice = alice.messages(2 * each).stream().map(ChatClient::seqAndText).toList();
            List<String> seenByBob = bob.messages(2 * each).stream().map(ChatClient::seqAndText).toList();
            assertEquals(seenByAlice, seenByBob, "the same messages in the same order on both nodes");
            for (int i = 0; i < seenByAlice.size(); i++) {
                assertTrue(seenByAlice.get(i).startsWith((i + 1) + " "), "gapless seq from 1: " + seenByAlice);
            }
            for (String who : List.of("a", "b")) {
                assertEquals(java.util.stream.IntStream.range(0, each).mapToObj(i -> who + i).toList(),
                        seenByAlice.stream().map(m -> m.substring(m.indexOf(' ') + 1)).filter(t -> t.startsWith(who)).toList(),
                        "each sender's messages in the order sent");
            }
        }
    }

    /** A /live connection to a node. */
    private static WsClient live(WarServer node) {
        return WsClient.connect(node.ws("live"));
    }

    private static JsonObject json(String text) {
        try (var reader = duplex.protocol.Jsons.createReader(new java.io.StringReader(text))) {
            return reader.readObject();
        }
    }

    /** POST /api/publish on a node: the answer's body. */
    private static JsonObject publish(WarServer node, String channel, String data) {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(node.http("api/publish"))
                    .header("Authorization", "Bearer " + Cluster.API_SECRET).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"channel\":\"" + channel + "\",\"data\":" + data + "}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());
            return json(response.body());
        } catch (java.io.IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** The next {@code n} publications a /live client receives, as "seq data". */
    private static List<String> pubs(WsClient client, int n) {
        List<String> out = new ArrayList<>();
        while (out.size() < n) {
            JsonObject message = json(client.nextText());
            if (message.getString("type").equals("pub")) {
                out.add(message.getInt("seq") + " " + message.get("data"));
            }
        }
        return out;
    }

    @Test
    @Order(11)
    void publicationsThroughEitherNodesApiReachEverySubscriberInOneOrder() throws Exception {
        String channel = "news:cross";
        try (WsClient one = live(cluster.node(1)); WsClient two = live(cluster.node(2))) {
            for (WsClient c : List.of(one, two)) {
                c.send("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\"}");
                assertEquals("subscribed", json(c.nextText()).getString("type"));
            }
            int each = 30;
            Thread viaTwo = new Thread(() -> {
                for (int i = 0; i < each; i++) {
                    publish(cluster.node(2), channel, "\"b" + i + "\"");
                }
            });
            viaTwo.start();
            for (int i = 0; i < each; i++) {
                publish(cluster.node(1), channel, "\"a" + i + "\"");
            }
            viaTwo.join();
            List<String> onOne = pubs(one, 2 * each);
            List<String> onTwo = pubs(two, 2 * each);
            assertEquals(onOne, onTwo, "the same publications in the same order on both nodes");
            for (int i = 0; i < onOne.size(); i++) {
                assertTrue(onOne.get(i).startsWith((i + 1) + " "), "gapless seq from 1: " + onOne);
            }
        }
    }

    @Test
    @Order(21)
    void aLiveSubscriberRecoversOnTheOtherNodeWithTheSameEpoch() {
        String channel = "comments:recover";
        String epoch;
        long seen;
        try (WsClient one = live(cluster.node(1))) {
            one.send("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\"}");
            epoch = json(one.nextText()).getString("epoch");
            publish(cluster.node(1), channel, "1");
            seen = Long.parseLong(pubs(one, 1).get(0).split(" ")[0]);
        }
        publish(cluster.node(2), channel, "2");
        publish(cluster.node(1), channel, "3");
        try (WsClient two = live(cluster.node(2))) {
            two.send("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\",\"since\":{\"seq\":" + seen
                    + ",\"epoch\":\"" + epoch + "\"}}");
            JsonObject subscribed = json(two.nextText());
            assertEquals(epoch, subscribed.getString("epoch"), "one epoch for the whole cluster");
            assertTrue(subscribed.getBoolean("recovered"), subscribed.toString());
            assertEquals(List.of(2, 3), subscribed.getJsonArray("history").getValuesAs(JsonObject.class).stream()
                    .map(p -> p.getInt("data")).toList(), "exactly what was missed, from both nodes");
        }
    }

    @Test
    @Order(20)
    void historyAndRecoveryWorkOnWhicheverNodeAClientComesBackTo() {
        try (ChatClient alice = ChatClient.join(chat(cluster.node(1), "history", "name=Alice"))) {
            for (int i = 1; i <= 5; i++) {
                alice.say("h" + i);
            }
            assertEquals(5, alice.messages(5).get(4).getJsonNumber("seq").longValue());
            try (ChatClient carol = ChatClient.join(chat(cluster.node(2), "history", "name=Carol&since=2"))) {
                JsonObject welcome = carol.welcome;
                assertEquals(List.of("3 h3", "4 h4", "5 h5"), welcome.getJsonArray("history").getValuesAs(JsonObject.class)
                        .stream().map(ChatClient::seqAndText).toList());
                assertTrue(welcome.getBoolean("recovered"), welcome.toString());
                assertTrue(names(welcome).contains("Alice"), "members of every node: " + welcome);
                carol.say("from node 2");
                assertEquals("6 from node 2", ChatClient.seqAndText(alice.nextOfType("message")));
            }
        }
    }

    @Test
    @Order(30)
    void presenceCoversTheCluster() {
        try (ChatClient alice = ChatClient.join(chat(cluster.node(1), "presence", "name=Alice"))) {
            try (ChatClient bob = ChatClient.join(chat(cluster.node(2), "presence", "name=Bob"))) {
                assertEquals(List.of("Alice", "Bob"), names(bob.welcome));
                JsonObject joined = alice.nextOfType("joined");
                assertEquals(bob.id(), joined.getJsonObject("member").getString("id"));
                bob.rename("Robert");
                JsonObject renamed = alice.nextOfType("renamed");
                assertEquals("Robert", renamed.getJsonObject("member").getString("name"));
                assertEquals("Bob", renamed.getString("previous"));
            }
            JsonObject left = alice.nextOfType("left");
            assertEquals("Robert", left.getJsonObject("member").getString("name"));
        }
    }

    @Test
    @Order(31)
    void aLargeRoomIsPagedOnEveryNodeWithTheWholeClustersMembers() {
        List<ChatClient> members = new ArrayList<>();
        try {
            for (String name : List.of("A", "B", "C")) {
                members.add(ChatClient.join(chat(cluster.node(1), "paged", "name=" + name)));
            }
            for (String name : List.of("D", "E")) {
                members.add(ChatClient.join(chat(cluster.node(2), "paged", "name=" + name)));
            }
            // Node 2 knows node 1's members once their joins crossed Redis: then F's welcome counts six.
            ChatClient[] f = new ChatClient[1];
            org.awaitility.Awaitility.await("node 2 knows all five").atMost(WsClient.TIMEOUT).until(() -> {
                if (f[0] != null) {
                    f[0].close();
                }
                f[0] = ChatClient.join(chat(cluster.node(2), "paged", "name=F"));
                return f[0].welcome.getInt("memberCount") == 6;
            });
            members.add(f[0]);
            assertEquals(3, names(f[0].welcome).size());
            f[0].ws.send("{\"type\":\"members\",\"after\":" + f[0].welcome.getJsonNumber("more") + "}");
            JsonObject page = f[0].nextOfType("members");
            List<String> everyone = new ArrayList<>(names(f[0].welcome));
            everyone.addAll(names(page));
            // In the order node 2 learnt of them: node 1's from Redis's snapshot, in its order.
            assertEquals(List.of("A", "B", "C", "D", "E", "F"), everyone.stream().sorted().toList());
            assertEquals(6, page.getInt("memberCount"));
            assertTrue(!page.containsKey("more"), "the last page: " + page);
        } finally {
            members.forEach(ChatClient::close);
        }
    }

    private static List<String> names(JsonObject welcome) {
        return welcome.getJsonArray("members").getValuesAs(JsonObject.class).stream().map(m -> m.getString("name")).toList();
    }

    // ------------------------------------------------------------------ one quote feed

    /** (ts, price) of the next {@code n} ACME quotes a client receives. */
    private static List<String> acmeTicks(duplex.testing.WsClient client, int n) {
        List<String> ticks = new ArrayList<>();
        while (ticks.size() < n) {
            JsonObject event = ChatClient.parse(client.nextText());
            if (event.getString("type").equals("quote") && event.getString("symbol").equals("ACME")) {
                ticks.add(event.getString("ts") + " " + event.getString("price"));
            }
        }
        return ticks;
    }

    private static duplex.testing.WsClient subscribeAcme(URI uri) {
        duplex.testing.WsClient client = duplex.testing.WsClient.connect(uri);
        client.send("{\"type\":\"subscribe\",\"symbols\":[\"ACME\"]}");
        return client;
    }

    @Test
    @Order(40)
    void oneFeedForTheWholeClusterSoEveryNodeShowsTheSamePrices() {
        try (var one = subscribeAcme(cluster.node(1).ws("quotes")); var two = subscribeAcme(cluster.node(2).ws("quotes"))) {
            // the first ticks may come before the other node subscribed; then both see the same ones
            acmeTicks(one, 3);
            List<String> seenByTwo = acmeTicks(two, 20);
            List<String> seenByOne = acmeTicks(one, 20);
            java.util.Set<String> common = new java.util.HashSet<>(seenByOne);
            common.retainAll(seenByTwo);
            assertTrue(common.size() >= 10, "the same ticks on both nodes:\n" + seenByOne + "\n" + seenByTwo);
            // one feed: a timestamp never carries two prices (two feeds would disagree)
            java.util.Map<String, String> priceAt = new java.util.HashMap<>();
            for (String tick : concat(seenByOne, seenByTwo)) {
                String[] f = tick.split(" ");
                String before = priceAt.putIfAbsent(f[0], f[1]);
                assertTrue(before == null || before.equals(f[1]), "two prices at " + f[0] + ": " + before + " and " + f[1]);
            }
            String holder = redis.sync().get("duplex:lease:quotes-feed");
            assertTrue(holder != null && (holder.contains("-" + cluster.node(1).pid() + "-") || holder.contains("-" + cluster.node(2).pid() + "-")),
                    "one node holds the feed's lease: " + holder);
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    @Test
    @Order(60)
    void whileRedisIsDownSayIsRefusedAndConnectionsStayThenEverythingResumes() {
        try (ChatClient alice = ChatClient.join(chat(cluster.node(1), "outage", "name=Alice"));
             ChatClient bob = ChatClient.join(chat(cluster.node(2), "outage", "name=Bob"))) {
            alice.say("before");
            assertEquals("1 before", ChatClient.seqAndText(bob.nextOfType("message")));
            assertEquals("1 before", ChatClient.seqAndText(alice.nextOfType("message")));

            cluster.redis.stop();
            // Until the node has noticed, a say can still go out; after, it is refused at once.
            JsonObject error = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> {
                alice.say("during");
                JsonObject reply = alice.next();
                return reply.getString("type").equals("error") ? reply : null;
            }, java.util.Objects::nonNull);
            assertEquals("unavailable", error.getString("code"));
            assertFalse(alice.ws.isClosed());
            assertFalse(bob.ws.isClosed());

            cluster.redis.start();
            JsonObject accepted = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> {
                alice.say("after");
                JsonObject reply = alice.next();
                return reply.getString("type").equals("message") ? reply : null;
            }, java.util.Objects::nonNull);
            // Redis came back empty (no persistence): the seq goes on from what the nodes saw.
            assertEquals("2 after", ChatClient.seqAndText(accepted));
            JsonObject atBob = bob.nextOfType("message");
            assertEquals("2 after", ChatClient.seqAndText(atBob), "nothing refused was delivered");
            assertFalse(bob.ws.isClosed());
        }
    }

    @Test
    @Order(100)
    void aKilledNodesClientsReconnectThroughNginxAndRecoverAndItsMembersLeave() throws Exception {
        // Through nginx, round robin: of four members, two land on each node.
        List<ChatClient> members = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                members.add(ChatClient.join(cluster.nginx.ws("chat/failover?name=m" + i)));
            }
            // The quote feed: node 1 subscribed first, so it leads; node 2 must take over when it dies.
            var quotesOnOne = subscribeAcme(cluster.node(1).ws("quotes"));
            acmeTicks(quotesOnOne, 2);
            var quotesOnTwo = subscribeAcme(cluster.node(2).ws("quotes"));
            acmeTicks(quotesOnTwo, 2);
            assertTrue(redis.sync().get("duplex:lease:quotes-feed").contains("-" + cluster.node(1).pid() + "-"));
            members.get(0).say("hello");
            long lastSeq = 0;
            for (ChatClient member : members) {
                lastSeq = member.nextOfType("message").getJsonNumber("seq").longValue();
            }
            cluster.node(1).kill();
            await().atMost(Duration.ofSeconds(20)).until(() -> members.stream().anyMatch(m -> m.ws.isClosed()));
            // the kernel resets all of the dead node's connections at once; nginx passes that on
            List<ChatClient> cut = members.stream().filter(m -> m.ws.awaitCloseWithin(Duration.ofMillis(500))).toList();
            List<ChatClient> survivors = members.stream().filter(m -> !cut.contains(m)).toList();
            assertFalse(cut.isEmpty(), "nginx put some members on node 1");
            assertFalse(survivors.isEmpty(), "nginx put some members on node 2");

            // The dead node's members leave, within the node timeout (3 s) and a heartbeat.
            long start = System.nanoTime();
            java.util.Set<String> gone = new java.util.HashSet<>();
            ChatClient watcher = survivors.get(0);
            while (gone.size() < cut.size()) {
                gone.add(watcher.nextOfType("left").getJsonObject("member").getString("id"));
            }
            assertEquals(cut.stream().map(ChatClient::id).collect(java.util.stream.Collectors.toSet()), gone);
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(tookMs < 10_000, "left after " + tookMs + " ms");

            // node 2 took over the feed: its subscriber goes on receiving prices
            await().atMost(Duration.ofSeconds(20)).until(() -> String.valueOf(redis.sync().get("duplex:lease:quotes-feed"))
                    .contains("-" + cluster.node(2).pid() + "-"));
            acmeTicks(quotesOnTwo, 5);
            quotesOnTwo.close();
            quotesOnOne.close();

            watcher.say("while you were away");
            long missed = watcher.nextOfType("message").getJsonNumber("seq").longValue();
            // The cut-off clients come back through nginx, which now sends them to node 2.
            for (ChatClient lost : cut) {
                try (ChatClient back = ChatClient.join(cluster.nginx.ws("chat/failover?name=back&since=" + lastSeq))) {
                    assertTrue(back.welcome.getBoolean("recovered"), back.welcome.toString());
                    assertEquals(List.of(missed + " while you were away"), back.welcome.getJsonArray("history")
                            .getValuesAs(JsonObject.class).stream().map(ChatClient::seqAndText).toList());
                }
            }
        } finally {
            members.forEach(ChatClient::close);
        }
    }

    @Test
    @Order(90)
    void aNodeStoppedGracefullyLeavesNoThreadBehindAndLeavesTheCluster() throws Exception {
        var node = cluster.node(2);
        node.stop();
        String log = Files.readString(duplex.testing.ChildProcess.LOGS.resolve("node2.log"));
        assertTrue(log.contains("Duplex stopped"), log);
        assertFalse(log.contains("failed to stop it"), "a thread left running on undeploy:\n" + log);
        assertFalse(log.contains("ThreadLocal"), "a ThreadLocal left behind on undeploy:\n" + log);
        await().atMost(Duration.ofSeconds(20)).until(() -> redis.sync().keys("duplex:node:*").size() == 1);
        node.restart();
        await().atMost(Duration.ofSeconds(20)).until(() -> redis.sync().keys("duplex:node:*").size() == 2);
    }
}
