package duplex.cluster;

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
        node.start();
        await().atMost(Duration.ofSeconds(20)).until(() -> redis.sync().keys("duplex:node:*").size() == 2);
    }
}
