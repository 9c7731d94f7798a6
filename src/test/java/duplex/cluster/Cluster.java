package duplex.cluster;

import duplex.testing.NginxServer;
import duplex.testing.RedisServer;
import duplex.testing.ServerUnderTest;
import duplex.testing.WarServer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A whole cluster of real processes: redis-server, two Tomcat nodes running the WAR with
 * DUPLEX_REDIS_URL, and nginx with deploy/nginx.conf in front of them.
 */
final class Cluster implements AutoCloseable {

    /** Short heartbeats so that faults show within seconds, not the production defaults. */
    static final Map<String, String> KNOBS = Map.of(
            "DUPLEX_CLUSTER_HEARTBEAT", "250ms",
            "DUPLEX_CLUSTER_NODE_TIMEOUT", "3s",
            // generous for a machine loaded by other builds; an outage fails at once anyway
            "DUPLEX_REDIS_TIMEOUT", "5s",
            "DUPLEX_PING_INTERVAL", "5s",
            // small, so that a room of a few members spread over the nodes is paged (ClusterIT)
            "DUPLEX_CHAT_MEMBERS_PAGE", "3",
            "DUPLEX_API_KEYS", "cluster=" + Cluster.API_SECRET);

    /** The HTTP API's key on every node. */
    static final String API_SECRET = "cluster-secret-0123456789";

    final RedisServer redis;
    final List<WarServer> nodes = new ArrayList<>();
    final NginxServer nginx;

    Cluster(int nodeCount) {
        redis = RedisServer.start("redis-cluster");
        Map<String, String> environment = new HashMap<>(KNOBS);
        environment.put("DUPLEX_REDIS_URL", redis.url());
        List<CompletableFuture<WarServer>> starting = new ArrayList<>();
        for (int i = 1; i <= nodeCount; i++) {
            String name = "node" + i;
            // in parallel: each JVM start takes seconds on a loaded machine
            starting.add(CompletableFuture.supplyAsync(() -> ServerUnderTest.war(name, environment)));
        }
        try {
            for (CompletableFuture<WarServer> node : starting) {
                nodes.add(node.join());
            }
        } catch (RuntimeException e) {
            starting.forEach(f -> f.thenAccept(WarServer::close));
            redis.close();
            throw e;
        }
        nginx = NginxServer.start(nodes.stream().map(WarServer::port).toList());
    }

    WarServer node(int i) {
        return nodes.get(i - 1);
    }

    static boolean available() {
        return RedisServer.installed() && NginxServer.installed();
    }

    @Override
    public void close() {
        if (nginx != null) {
            nginx.close();
        }
        nodes.forEach(WarServer::close);
        redis.close();
    }
}
