package duplex.bus;

import duplex.testing.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * RedisBus against a real redis-server: two buses in one JVM are two nodes of a cluster (the bus
 * has no static state). Every test uses its own room, so they do not see each other's traffic.
 */
class RedisBusIT {

    private static final Duration HEARTBEAT = Duration.ofMillis(200);
    private static final Duration NODE_TIMEOUT = Duration.ofMillis(2000);
    /** Generous: the machine may be loaded by other builds; a real outage fails at once anyway. */
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);

    private static RedisServer redis;
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private String room;

    @BeforeAll
    static void startRedis() {
        assumeTrue(RedisServer.installed(), "redis-server is not installed (.ci/run installs it)");
        redis = RedisServer.start("redis-bus-it");
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @org.junit.jupiter.api.BeforeEach
    void name(TestInfo info) {
        room = info.getTestMethod().orElseThrow().getName();
    }

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(cleanup);
        for (AutoCloseable c : cleanup) {
            c.close();
        }
        if (redis != null && !redis.isRunning()) {
            redis.start();
        }
    }

    private RedisBus node(RedisServer server) {
        RedisBus bus = new RedisBus(new RedisBus.Options(server.url(), COMMAND_TIMEOUT, HEARTBEAT, NODE_TIMEOUT));
        cleanup.add(bus);
        return bus;
    }

    private RedisCommands<String, String> raw(RedisServer server) {
        RedisClient client = RedisClient.create(server.url());
        StatefulRedisConnection<String, String> connection = client.connect();
        cleanup.add(() -> {
            connection.close();
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        });
        return connection.sync();
    }

    @Test
    void postsFromTwoNodesReachBothInOneGaplessOrder() throws Exception {
        RedisBus a = node(redis);
        RedisBus b = node(redis);
        Recorder onA = new Recorder();
        Recorder onB = new Recorder();
        RoomLink linkA = a.link(room, 50, onA);
        RoomLink linkB = b.link(room, 50, onB);

        int perNode = 150;
        List<CompletableFuture<Long>> accepted = new CopyOnWriteArrayList<>();
        Thread fromA = new Thread(() -> {
            for (int i = 0; i < perNode; i++) {
                accepted.add(linkA.post(Recorder.post("a" + i)));
            }
        });
        Thread fromB = new Thread(() -> {
            for (int i = 0; i < perNode; i++) {
                accepted.add(linkB.post(Recorder.post("b" + i)));
            }
        });
        fromA.start();
        fromB.start();
        fromA.join();
        fromB.join();

        Set<Long> seqs = accepted.stream().map(CompletableFuture::join).collect(Collectors.toSet());
        assertEquals(LongStream.rangeClosed(1, 2 * perNode).boxed().collect(Collectors.toSet()), seqs);

        List<String> seenOnA = onA.posts(2 * perNode);
        List<String> seenOnB = onB.posts(2 * perNode);
        assertEquals(seenOnA, seenOnB, "both nodes see the same messages in the same order");
        for (int i = 0; i < seenOnA.size(); i++) {
            assertTrue(seenOnA.get(i).startsWith((i + 1) + " "), "gapless: " + seenOnA.get(i) + " at " + i);
        }
        // each node's own posts keep their order
        assertEquals(orderOf(seenOnA, "a"), LongStream.range(0, perNode).mapToObj(i -> "a" + i).toList());
        assertEquals(orderOf(seenOnA, "b"), LongStream.range(0, perNode).mapToObj(i -> "b" + i).toList());
        assertEquals(List.of(), onA.drain(Duration.ofMillis(300)).stream().filter(e -> e.startsWith("posted")).toList(),
                "nothing delivered twice");
    }

    private static List<String> orderOf(List<String> posts, String prefix) {
        return posts.stream().map(p -> p.substring(p.indexOf(' ') + 1)).filter(body -> body.startsWith(prefix)).toList();
    }

    @Test
    void aNodeThatLinksLaterLoadsTheHistoryAndMembersOfTheCluster() {
        RedisBus a = node(redis);
        RedisBus b = node(redis);
        RoomLink linkA = a.link(room, 50, new Recorder());
        linkA.join(new Member("alice-1", "Alice"));
        for (int i = 1; i <= 5; i++) {
            assertEquals(i, linkA.post(Recorder.post("m" + i)).join());
        }
        Recorder onB = new Recorder();
        RoomLink linkB = b.link(room, 3, onB);
        assertEquals(List.of("3 m3", "4 m4", "5 m5"), onB.history(), "the snapshot's history");
        assertEquals(5, linkB.lastSeq());
        assertEquals(List.of(new Member("alice-1", "Alice")), linkB.members());

        assertEquals(6, linkB.post(Recorder.post("from b")).join());
        assertEquals("posted 6 from b", onB.nextStartingWith("posted"));
    }

    @Test
    void theVerifiedMarkCrossesNodesInEventsAndSnapshots() {
        RedisBus a = node(redis);
        RedisBus b = node(redis);
        Recorder onB = new Recorder();
        RoomLink linkA = a.link(room, 50, new Recorder());
        RoomLink linkB = b.link(room, 50, onB);
        Member alice = new Member("alice-1", "alice", true);
        Member guest = new Member("guest-1", "+not-a-mark", false);
        linkA.join(alice);
        linkA.join(guest);
        onB.nextStartingWith("joined guest-1");
        assertEquals(List.of(alice, guest), linkB.members(), "from the join events");
        // A node that links later reads them from the presence hash.
        RoomLink linkC = node(redis).link(room, 50, new Recorder());
        assertEquals(Set.of(alice, guest), Set.copyOf(linkC.members()), "from the snapshot");
    }

    @Test
    void presenceChangesOnOneNodeReachTheOthers() {
        RedisBus a = node(redis);
        RedisBus b = node(redis);
        Recorder onA = new Recorder();
        Recorder onB = new Recorder();
        RoomLink linkA = a.link(room, 50, onA);
        RoomLink linkB = b.link(room, 50, onB);

        linkA.join(new Member("alice-1", "Alice"));
        assertEquals("joined alice-1 Alice", onA.next(Duration.ZERO), "the own node applies at once");
        assertEquals("joined alice-1 Alice", onB.next());
        linkB.join(new Member("bob-1", "Bob"));
        assertEquals("joined bob-1 Bob", onA.next());
        linkA.rename(new Member("alice-1", "Alicia"), "Alice");
        assertEquals("renamed alice-1 Alicia from Alice", onB.nextStartingWith("renamed"));
        assertEquals(List.of(new Member("alice-1", "Alicia"), new Member("bob-1", "Bob")), linkB.members());
        linkA.leave(new Member("alice-1", "Alicia"));
        assertEquals("left alice-1 Alicia", onB.nextStartingWith("left"));
        assertEquals(List.of(new Member("bob-1", "Bob")), linkA.members());
        // heartbeats re-announce nothing new: no flapping
        assertEquals(List.of(), onB.drain(Duration.ofMillis(3 * HEARTBEAT.toMillis())));
    }

    @Test
    void membersOfANodeThatStoppedBeatingLeaveWithinTheNodeTimeout() {
        RedisBus b = node(redis);
        Recorder onB = new Recorder();
        b.link(room, 50, onB);
        RedisCommands<String, String> raw = raw(redis);
        // A node that crashed: its member is in the hash, its liveness key is gone.
        raw.hset("duplex:room:" + room + ":members", "ghost-1", "crashed-node\nGhost");
        raw.publish("duplex:room:" + room, "J\ncrashed-node\nghost-1\nGhost");
        long start = System.nanoTime();
        String left = onB.nextStartingWith("left");
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals("left ghost-1 Ghost", left);
        assertTrue(tookMs < NODE_TIMEOUT.toMillis() + 10 * HEARTBEAT.toMillis(), "took " + tookMs + " ms");
        assertEquals(Boolean.FALSE, raw.hexists("duplex:room:" + room + ":members", "ghost-1"));
    }

    @Test
    void aGapInTheChannelIsFilledFromTheLogBeforeDelivering() {
        RedisBus a = node(redis);
        RedisBus b = node(redis);
        RoomLink linkA = a.link(room, 50, new Recorder());
        Recorder onB = new Recorder();
        b.link(room, 50, onB);
        RedisCommands<String, String> raw = raw(redis);
        // Message 1 is accepted but its publish never reached the nodes (a subscription that was down).
        raw.incr("duplex:room:" + room + ":seq");
        raw.xadd("duplex:room:" + room + ":log", new io.lettuce.core.XAddArgs().id("1-0"), "b", RedisRoomLink.stored(Recorder.post("missed")));
        assertEquals(2, linkA.post(Recorder.post("next")).join());
        assertEquals(List.of("1 missed", "2 next"), onB.posts(2));
    }

    @Test
    void aMessageNoVersionWroteIsSkippedAsLostAndTheRoomGoesOn() {
        RedisBus a = node(redis);
        RedisBus b = node(redis);
        RoomLink linkA = a.link(room, 50, new Recorder());
        Recorder onB = new Recorder();
        b.link(room, 50, onB);
        RedisCommands<String, String> raw = raw(redis);
        raw.incr("duplex:room:" + room + ":seq");
        raw.xadd("duplex:room:" + room + ":log", new io.lettuce.core.XAddArgs().id("1-0"), "b", "{not json");
        assertEquals(2, linkA.post(Recorder.post("next")).join());
        assertEquals(List.of("2 next"), onB.posts(1));
    }

    @Test
    void aTopicReachesEveryNode() throws InterruptedException {
        RedisBus a = node(redis);
        RedisBus b = node(redis);
        BlockingQueue<String> onA = new LinkedBlockingQueue<>();
        BlockingQueue<String> onB = new LinkedBlockingQueue<>();
        cleanup.add(a.topic(room, onA::add));
        Topic topicB = b.topic(room, onB::add);
        cleanup.add(topicB);
        // subscriptions are asynchronous: publish until the first arrives
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            topicB.publish("hello");
            return onA.poll(100, TimeUnit.MILLISECONDS) != null;
        });
        assertEquals("hello", onB.poll(20, TimeUnit.SECONDS));
    }

    @Test
    void oneLeaderAtATimeAndAnotherTakesOverWhenItSteps() {
        RedisBus a = node(redis);
        RedisBus b = node(redis);
        List<String> log = new CopyOnWriteArrayList<>();
        Leadership onA = a.lead(room, listener("a", log));
        Leadership onB = b.lead(room, listener("b", log));
        await().atMost(Duration.ofSeconds(20)).until(() -> onA.isLeader() || onB.isLeader());
        // and it stays exactly one for several lease renewals
        await().during(HEARTBEAT.multipliedBy(5)).atMost(HEARTBEAT.multipliedBy(5).plusSeconds(20))
                .until(() -> onA.isLeader() ^ onB.isLeader());
        Leadership leader = onA.isLeader() ? onA : onB;
        Leadership other = leader == onA ? onB : onA;
        leader.close();
        // released on close: the other takes over within a heartbeat or two, not a lease
        await().atMost(Duration.ofSeconds(20)).until(other::isLeader);
        assertEquals(2, log.stream().filter(e -> e.endsWith("elected")).count(), log.toString());
        other.close();
    }

    private static Leadership.Listener listener(String node, List<String> log) {
        return new Leadership.Listener() {
            @Override
            public void elected() {
                log.add(node + " elected");
            }

            @Override
            public void demoted() {
                log.add(node + " demoted");
            }
        };
    }

    @Test
    void whileRedisIsDownPostsFailAtOnceAndEverythingResumesWhenItIsBack() {
        RedisServer own = RedisServer.start("redis-bus-outage");
        cleanup.add(own);
        RedisBus a = node(own);
        RedisBus b = node(own);
        Recorder onA = new Recorder();
        Recorder onB = new Recorder();
        RoomLink linkA = a.link(room, 50, onA);
        RoomLink linkB = b.link(room, 50, onB);
        linkA.join(new Member("alice-1", "Alice"));
        assertEquals("joined alice-1 Alice", onB.nextStartingWith("joined"));
        assertEquals(1, linkA.post(Recorder.post("before")).join());
        assertEquals(List.of("1 before"), onB.posts(1));

        own.stop();
        await().atMost(Duration.ofSeconds(20)).until(() -> !a.connected());
        long start = System.nanoTime();
        CompletionException failure = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class,
                () -> linkA.post(Recorder.post("during")).join());
        assertInstanceOf(BusUnavailableException.class, failure.getCause());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3), "fails fast, does not wait for Redis");
        // while it is down the nodes keep their members: no flapping
        assertEquals(List.of(new Member("alice-1", "Alice")), linkB.members());

        own.start();
        // Redis came back empty (no persistence): the seq continues from what the nodes saw
        Long seq = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> tryPost(linkA, "after"), s -> s != null);
        assertEquals(2, seq);
        assertEquals(List.of("2 after"), onB.posts(1), "the failed post was never delivered");
        // and the members were announced again
        RedisCommands<String, String> raw = raw(own);
        await().atMost(Duration.ofSeconds(20)).until(() -> raw.hexists("duplex:room:" + room + ":members", "alice-1"));
        assertEquals(List.of(new Member("alice-1", "Alice")), linkB.members());
        assertEquals(List.of(), onB.drain(Duration.ofMillis(3 * HEARTBEAT.toMillis())).stream()
                .filter(e -> e.startsWith("left")).toList(), "nobody left");
    }

    private static Long tryPost(RoomLink link, String body) {
        try {
            return link.post(Recorder.post(body)).join();
        } catch (CompletionException e) {
            return null;
        }
    }

    @Test
    void closingStopsEveryThreadTheBusStarted() {
        Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
        RedisBus a = new RedisBus(new RedisBus.Options(redis.url(), COMMAND_TIMEOUT, HEARTBEAT, NODE_TIMEOUT));
        cleanup.add(a); // closed below; again (a no-op) if the test fails before
        RoomLink link = a.link(room, 10, new Recorder());
        assertNotNull(link.post(Recorder.post("x")).join());
        List<Thread> started = Thread.getAllStackTraces().keySet().stream().filter(t -> !before.contains(t)).toList();
        assertTrue(started.stream().anyMatch(t -> t.getName().startsWith("lettuce-")), started.toString());
        a.close();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertEquals(List.of(),
                started.stream().filter(Thread::isAlive).map(Thread::getName).toList()));
    }

    @Test
    void aClosedNodeTakesItsMembersWithIt() {
        RedisBus a = node(redis);
        RedisBus b = node(redis);
        Recorder onB = new Recorder();
        RoomLink linkA = a.link(room, 50, new Recorder());
        b.link(room, 50, onB);
        linkA.join(new Member("alice-1", "Alice"));
        assertEquals("joined alice-1 Alice", onB.nextStartingWith("joined"));
        a.close();
        assertEquals("left alice-1 Alice", onB.nextStartingWith("left"));
    }

}
