package duplex.cluster;

import duplex.testing.ServerUnderTest;
import duplex.testing.TyrusServer;
import duplex.testing.RedisServer;
import duplex.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What Redis adds to a chat message: send-to-receive time of a {@code say} on one node, one
 * message in flight at a time (the sender receives its own message), with the in-process bus
 * and with the Redis bus. Prints p50/p99 for the closing note; asserts only that every message
 * came back in order, so a slow machine cannot fail it.
 *
 * <p>Reproduce with more messages:
 * {@code mvn -B verify -Dit.test=ChatLatencyIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dlatency.messages=20000}
 */
class ChatLatencyIT {

    private static final int MESSAGES = Integer.getInteger("latency.messages", 1000);
    private static final int WARMUP = Math.min(500, MESSAGES);

    /** No rate limit in the way of a measurement. */
    private static Map<String, String> knobs() {
        Map<String, String> knobs = new HashMap<>();
        knobs.put("duplex.rate-limit.per-second", "1000000");
        knobs.put("duplex.rate-limit.burst", "1000000");
        return knobs;
    }

    @Test
    void localBusThenRedisBus() {
        long[] local;
        try (TyrusServer server = ServerUnderTest.tyrus(knobs())) {
            local = measure(server);
        }
        assumeTrue(RedisServer.installed(), "redis-server is not installed");
        long[] redis;
        try (RedisServer redisServer = RedisServer.start("redis-latency")) {
            Map<String, String> knobs = knobs();
            knobs.put("duplex.redis-url", redisServer.url());
            try (TyrusServer server = ServerUnderTest.tyrus(knobs)) {
                redis = measure(server);
            }
        }
        String report = String.format(Locale.ROOT,
                "chat say -> own message, %d messages one at a time, one node (embedded Tyrus):%n"
                        + "  LocalBus: p50 %s  p99 %s  max %s%n"
                        + "  RedisBus: p50 %s  p99 %s  max %s%n"
                        + "  added by Redis: p50 %s  p99 %s",
                MESSAGES, micros(pct(local, 50)), micros(pct(local, 99)), micros(local[local.length - 1]),
                micros(pct(redis, 50)), micros(pct(redis, 99)), micros(redis[redis.length - 1]),
                micros(pct(redis, 50) - pct(local, 50)), micros(pct(redis, 99) - pct(local, 99)));
        System.out.println(report);
        assertTrue(pct(redis, 50) > 0 && pct(local, 50) > 0);
    }

    /** Sorted send-to-receive times in nanoseconds, after a warm-up. */
    private static long[] measure(TyrusServer server) {
        try (WsClient client = WsClient.connect(server.ws("chat/latency?name=probe"))) {
            assertTrue(client.nextText().contains("\"welcome\""));
            for (int i = 0; i < WARMUP; i++) {
                roundTrip(client, "warm " + i);
            }
            long[] times = new long[MESSAGES];
            for (int i = 0; i < MESSAGES; i++) {
                times[i] = roundTrip(client, "m " + i);
            }
            Arrays.sort(times);
            return times;
        }
    }

    private static long roundTrip(WsClient client, String text) {
        long start = System.nanoTime();
        client.send("{\"type\":\"say\",\"text\":\"" + text + "\"}");
        String received = client.nextText();
        while (received.startsWith("{\"type\":\"presence\"")) {
            received = client.nextText(); // its own join, announced a tick after the welcome
        }
        long took = System.nanoTime() - start;
        if (!received.contains("\"text\":\"" + text + "\"")) {
            throw new AssertionError("expected my message '" + text + "', got " + received);
        }
        return took;
    }

    private static long pct(long[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    private static String micros(long nanos) {
        return String.format(Locale.ROOT, "%.0f µs", nanos / 1000.0);
    }
}
