package duplex.deploy;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Storms against the WAR deployed on a child-process Tomcat 11 with the shipped server.xml: a
 * whole room closes at once (close frames, or TCP resets), idle or in the middle of a fan-out;
 * a whole room joins at once; a whole room reconnects at once with {@code since}. Throughout, a
 * {@link Bystander} asks /health and round-trips on /echo; afterwards the server must be idle.
 *
 * <p>The members come from {@value #HOSTS_PER_STORM} loopback addresses ({@link Crowd#host}),
 * 50 per address, under the per-address connection limit; the per-connection rate limit is raised
 * so the one member that talks during a fan-out is never throttled. The crowd size is the
 * system property {@code storm.members} (1000 when run alone; the build passes 300, see pom.xml). Each storm's figures go to the console
 * and to {@code target/servers/storms.txt}.
 */
class StormIT {

    private static final int MEMBERS = Integer.getInteger("storm.members", 1000);
    private static final int PER_HOST = 50;
    private static final int HOSTS_PER_STORM = 40;
    /** Members who stay in the room through the storm, from a host of their own. */
    private static final int STAYERS = 5;
    private static final int FAN_OUT = 100;

    /** The bounds. */
    private static final Duration BYSTANDER_BOUND = Duration.ofSeconds(1);
    private static final Duration IDLE_BOUND = Duration.ofSeconds(5);
    /** Below this share of one core over a second, the server is idle. */
    private static final double IDLE_CPU = 0.10;
    /** Generous: the crowd's handshakes on a loaded 2-core machine. */
    private static final Duration SETTLE = Duration.ofMinutes(2);

    /**
     * What the server may hold after a storm beyond what it held before, once the crowd is gone
     * and a full collection ran: Tomcat keeps a cache of closed connections' buffers (NioChannel),
     * and the storm's room lingers with its history. A room's worth of leaked sessions is far more.
     */
    private static final long HEAP_SLACK = 48L << 20;

    private static ServerProcess tomcat;
    private static JvmProbe jvm;
    private static int roomCounter;
    /** Heap in use after a full collection before this test's crowd came. */
    private long heapBaseline;

    private Crowd crowd;
    private Bystander bystander;
    /** The server's CPU time when this test's storm began. */
    private Duration cpuAtStart = Duration.ZERO;
    private String room;
    private String storm;

    /** The server to storm: {@code tomcat11} (the default), {@code tomcat10} or {@code payara} (system property {@code storm.server}). */
    private static final String SERVER = System.getProperty("storm.server", "tomcat11");
    /** Whether a storm joins and leaves, unmeasured, before the measured ones (system property {@code storm.warmup}); see {@link #warmUp}. */
    private static final boolean WARM_UP = Boolean.getBoolean("storm.warmup");

    @BeforeAll
    static void start() {
        tomcat = ServerProcess.startFresh(() -> ServerProcess.of(SERVER, SERVER + "-storms",
                Map.of("duplex.rate-limit.per-second", "10000", "duplex.rate-limit.burst", "10000")), Duration.ofMinutes(4));
        jvm = new JvmProbe(tomcat.pid());
        if (WARM_UP) {
            warmUp();
        }
    }

    /**
     * With {@code -Dstorm.warmup=true}: before any measured storm, a room of the crowd's size joins and
     * closes once, unmeasured, and the server is left to go idle. The storms then meet a server whose
     * JIT has seen those paths, as a server that has been serving for a while would be. Off by
     * default: the bounds are meant to hold on a server that has just started. On Payara Micro the
     * first storm after the start is the one over its bounds; its JIT compiler threads take 10-40 %
     * of a core for 15 s and more after it (see docs/BENCHMARKS.md).
     */
    private static void warmUp() {
        try (Crowd warm = new Crowd(new InetSocketAddress("127.0.0.1", tomcat.port()))) {
            List<Integer> ids = warm.open(MEMBERS, PER_HOST, 1, i -> "/duplex/chat/warmup?name=w" + i);
            warm.await(ids, c -> c.state == Crowd.State.WELCOMED, SETTLE, "welcomed (warm-up)");
            warm.closeCleanly(ids);
            warm.await(ids, c -> c.state == Crowd.State.CLOSED, SETTLE, "closed (warm-up)");
        }
        awaitIdle();
    }

    @AfterAll
    static void stop() {
        if (tomcat != null) {
            tomcat.close();
        }
    }

    @BeforeEach
    void crowd(TestInfo test) {
        crowd = new Crowd(new InetSocketAddress("127.0.0.1", tomcat.port()));
        bystander = new Bystander(tomcat.base());
        room = "storm" + (++roomCounter);
        storm = test.getTestMethod().orElseThrow().getName();
        heapBaseline = jvm.heapUsedAfterFullGc();
    }

    /**
     * After every storm, the crowd gone: the server is idle, no thread is left spinning, and the
     * heap is back to what it was before the crowd came.
     */
    @AfterEach
    void disperse() throws InterruptedException {
        bystander.close();
        boolean stormPassed = crowd.failures().isEmpty();
        crowd.close();
        if (!stormPassed) {
            return; // the storm's own failure says more than these would
        }
        awaitIdle();
        List<String> spinning = jvm.spinning(1000, IDLE_CPU);
        long heap = jvm.heapUsedAfterFullGc();
        record(String.format(Locale.ROOT, "%s %-33s heap after a full GC: %.1f MiB before the crowd, %.1f MiB after it left",
                SERVER, storm, heapBaseline / 1048576.0, heap / 1048576.0));
        assertEquals(List.of(), spinning, "threads left spinning after the storm");
        assertTrue(heap <= heapBaseline + HEAP_SLACK, String.format(Locale.ROOT,
                "heap back to its baseline after the crowd left: %.1f MiB before, %.1f MiB after (slack %d MiB)",
                heapBaseline / 1048576.0, heap / 1048576.0, HEAP_SLACK >> 20));
    }

    @Test
    void aWholeRoomClosesAtOnce() {
        List<Integer> stayers = join(STAYERS, 0);
        List<Integer> leavers = join(MEMBERS, 1);
        long presenceBefore = crowd.presenceFrames();
        long began = begin();
        crowd.closeCleanly(leavers);
        crowd.await(leavers, c -> c.state == Crowd.State.CLOSED, SETTLE, "closed");
        Figures figures = aftermath(began, began, presenceBefore);
        crowd.assertNoFailures();
        figures.assertWithinBounds();
        assertRoomHolds(stayers);
    }

    @Test
    void aWholeRoomResetsDuringAFanOut() {
        List<Integer> stayers = join(STAYERS, 0);
        List<Integer> leavers = join(MEMBERS, 1);
        int speaker = stayers.get(0);
        long lastSeq = crowd.inspect(speaker, c -> c.seqs.isEmpty() ? 0L : c.seqs.get(c.seqs.size() - 1));
        for (int i = 0; i < FAN_OUT; i++) {
            crowd.say(speaker, "fan-out " + i);
        }
        // The first of them is out to everyone: the storm meets a fan-out in progress.
        crowd.await(List.of(speaker), c -> !c.seqs.isEmpty(), SETTLE, "heard their own first message");
        long presenceBefore = crowd.presenceFrames();
        long began = begin();
        crowd.reset(leavers);
        crowd.await(stayers, c -> c.seqs.size() >= FAN_OUT, SETTLE, "received the whole fan-out");
        Figures figures = aftermath(began, began, presenceBefore);
        crowd.assertNoFailures();
        for (int id : stayers) {
            List<Long> seqs = crowd.inspect(id, c -> List.copyOf(c.seqs));
            assertEquals(LongRange.of(lastSeq + 1, lastSeq + FAN_OUT), seqs, "stayer " + id + " got every message, in order, once");
        }
        figures.assertWithinBounds();
        assertRoomHolds(stayers);
    }

    @Test
    void aWholeRoomJoinsAtOnce() {
        List<Integer> stayers = join(STAYERS, 0);
        long presenceBefore = crowd.presenceFrames();
        long began = begin();
        List<Integer> joiners = crowd.open(MEMBERS, PER_HOST, 1, i -> path("j" + i, null));
        crowd.await(joiners, c -> c.state == Crowd.State.WELCOMED, SETTLE, "welcomed");
        Figures figures = aftermath(began, System.nanoTime(), presenceBefore);
        crowd.assertNoFailures();
        figures.assertWithinBounds();
        List<Integer> everyone = new ArrayList<>(stayers);
        everyone.addAll(joiners);
        assertRoomHolds(everyone);
    }

    @Test
    void aWholeRoomReconnectsAtOnceWithSince() {
        List<Integer> stayers = join(STAYERS, 0);
        List<Integer> members = join(MEMBERS, 1);
        int speaker = stayers.get(0);
        crowd.await(members, c -> c.state == Crowd.State.WELCOMED, SETTLE, "welcomed");
        crowd.reset(members); // a node lost: every member's connection gone at once
        for (int i = 0; i < 20; i++) {
            crowd.say(speaker, "while you were away " + i);
        }
        crowd.await(List.of(speaker), c -> c.seqs.size() >= 20, SETTLE, "heard their own 20 messages");
        long first = crowd.inspect(speaker, c -> c.seqs.get(0));
        long presenceBefore = crowd.presenceFrames();
        long began = begin();
        List<Integer> back = crowd.open(MEMBERS, PER_HOST, 1, i -> path("m" + i, first - 1));
        crowd.await(back, c -> c.state == Crowd.State.WELCOMED, SETTLE, "welcomed back");
        Figures figures = aftermath(began, System.nanoTime(), presenceBefore);
        crowd.assertNoFailures();
        for (int id : back) {
            String welcome = crowd.inspect(id, c -> c.welcome);
            assertTrue(welcome.contains("\"recovered\":true"), "member " + id + " recovered: " + abbreviate(welcome));
            for (long seq = first; seq < first + 20; seq++) {
                assertTrue(welcome.contains("\"seq\":" + seq + ","), "member " + id + " got missed message " + seq);
            }
        }
        figures.assertWithinBounds();
    }

    @Test
    void aThousandQuotesSubscribersCloseAtOnceWhileQuotesFlow() {
        List<Integer> subscribers = crowd.open(MEMBERS, PER_HOST, 1, i -> "/duplex/quotes");
        crowd.await(subscribers, c -> c.frames >= 1, SETTLE, "got the symbols");
        crowd.sendText(subscribers, "{\"type\":\"subscribe\",\"symbols\":[\"ACME\",\"GLOBEX\",\"INITECH\",\"UMBRELLA\",\"HOOLI\"]}");
        crowd.await(subscribers, c -> c.quotes >= 10, SETTLE, "received quotes");
        long presenceBefore = crowd.presenceFrames();
        long began = begin();
        crowd.closeCleanly(subscribers);
        crowd.await(subscribers, c -> c.state == Crowd.State.CLOSED, SETTLE, "closed");
        Figures figures = aftermath(began, began, presenceBefore);
        crowd.assertNoFailures();
        figures.assertWithinBounds();
    }

    /** The storm begins now: notes the server's CPU time, returns the time (nanoTime). */
    private long begin() {
        cpuAtStart = tomcat.cpuTime();
        return System.nanoTime();
    }

    /** {@code count} members join this test's room from hosts {@code firstHost} on; waits for their welcomes. */
    private List<Integer> join(int count, int firstHost) {
        String prefix = firstHost == 0 ? "s" : "m";
        List<Integer> ids = crowd.open(count, PER_HOST, firstHost, i -> path(prefix + i, null));
        crowd.await(ids, c -> c.state == Crowd.State.WELCOMED, SETTLE, "welcomed");
        return ids;
    }

    private String path(String name, Long since) {
        return "/duplex/chat/" + room + "?name=" + name + (since == null ? "" : "&since=" + since);
    }

    private static final Pattern MEMBER_COUNT = Pattern.compile("\"memberCount\":(\\d+)");

    /** Someone new joins: their welcome counts exactly the expected members and themselves. */
    private void assertRoomHolds(List<Integer> expected) {
        List<Integer> probe = crowd.open(1, 1, HOSTS_PER_STORM + 1, i -> path("probe", null));
        crowd.await(probe, c -> c.state == Crowd.State.WELCOMED, SETTLE, "welcomed");
        String welcome = crowd.inspect(probe.get(0), c -> c.welcome);
        Matcher count = MEMBER_COUNT.matcher(welcome);
        assertTrue(count.find(), "a member count in " + abbreviate(welcome));
        assertEquals(expected.size() + 1, Integer.parseInt(count.group(1)), "members in the room after the storm (the probe included)");
    }

    /**
     * Waits for the server to be idle after a storm that began at {@code began}, for the bystander's
     * probes to have covered the whole time, and records the figures. {@code clientsDone} is when
     * the crowd had done its part: for closes, when the last close frame or reset went out (all at
     * once, so when the storm began); for joins, when the last welcome arrived.
     */
    private Figures aftermath(long began, long clientsDone, long presenceBefore) {
        long served = System.nanoTime();
        long idleAt = awaitIdle();
        Duration cpu = tomcat.cpuTime().minus(cpuAtStart);
        Awaitility.await("bystander probes after the storm").atMost(Bystander.GIVE_UP.plusSeconds(10))
                .pollInterval(Duration.ofMillis(50)).until(() -> bystander.probedSince(idleAt));
        Figures f = new Figures(SERVER + " " + storm, MEMBERS,
                Bystander.worst(bystander.healthProbes, began), Bystander.failed(bystander.healthProbes, began),
                Bystander.worst(bystander.echoProbes, began), Bystander.failed(bystander.echoProbes, began),
                Duration.ofNanos(served - began), Duration.ofNanos(Math.max(0, idleAt - clientsDone)),
                crowd.presenceFrames() - presenceBefore, cpu);
        // The machine's load average alongside: on a shared machine the times above stretch with it.
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        record(f.toString() + String.format(Locale.ROOT, "   load %.1f", load)
                + (bystander.failures.isEmpty() ? "" : "   bystander failures: " + bystander.failures));
        return f;
    }

    /**
     * Samples the server's CPU time every 100 ms; returns the start (nanoTime) of the first whole
     * second in which it used less than {@link #IDLE_CPU} of a core.
     */
    private static long awaitIdle() {
        record Sample(long nanos, Duration cpu) {
        }
        Deque<Sample> window = new ArrayDeque<>();
        long[] idleAt = new long[1];
        Awaitility.await("server idle").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100)).pollInSameThread()
                .until(() -> {
                    Sample now = new Sample(System.nanoTime(), tomcat.cpuTime());
                    window.addLast(now);
                    while (now.nanos() - window.peekFirst().nanos() > 1_000_000_000L) {
                        window.removeFirst();
                    }
                    Sample first = window.peekFirst();
                    long span = now.nanos() - first.nanos();
                    if (span < 900_000_000L) {
                        return false;
                    }
                    double share = (double) now.cpu().minus(first.cpu()).toNanos() / span;
                    if (share < IDLE_CPU) {
                        idleAt[0] = first.nanos();
                        return true;
                    }
                    return false;
                });
        return idleAt[0];
    }

    /** What one storm did to the server. */
    /**
     * @param served    from the storm's start until the crowd saw every answer (every close answered, every welcome)
     * @param idleAfter from the crowd's last action (closes: the storm's start) until the server was idle
     * @param presenceFrames presence frames the crowd received from the storm's start until the server was idle
     * @param serverCpu the server's CPU time from the storm's start until it was idle (a figure that other
     *                  load on the machine stretches less than it stretches the times)
     */
    record Figures(String storm, int members, Duration healthWorst, long healthFailed, Duration echoWorst, long echoFailed,
                   Duration served, Duration idleAfter, long presenceFrames, Duration serverCpu) {

        void assertWithinBounds() {
            assertTrue(healthFailed == 0 && healthWorst.compareTo(BYSTANDER_BOUND) <= 0,
                    "the bystander's /health answered within " + BYSTANDER_BOUND + ": " + this);
            assertTrue(echoFailed == 0 && echoWorst.compareTo(BYSTANDER_BOUND) <= 0,
                    "the bystander's /echo round-tripped within " + BYSTANDER_BOUND + ": " + this);
            assertTrue(idleAfter.compareTo(IDLE_BOUND) <= 0, "the server idle within " + IDLE_BOUND + " of the crowd's last close (or welcome): " + this);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%-45s N=%-5d /health worst %6.2f s (%d failed)   /echo worst %6.2f s (%d failed)"
                            + "   all answered after %6.2f s   idle %6.2f s after the last close/welcome   presence frames received %d"
                            + "   server cpu %6.2f s",
                    storm, members, secs(healthWorst), healthFailed, secs(echoWorst), echoFailed, secs(served), secs(idleAfter),
                    presenceFrames, secs(serverCpu));
        }

        private static double secs(Duration d) {
            return d.toMillis() / 1000.0;
        }
    }

    private static void record(String line) {
        System.out.println("[storm] " + line);
        try {
            Files.createDirectories(ServerProcess.serversDir());
            Files.writeString(ServerProcess.serversDir().resolve("storms.txt"), line + System.lineSeparator(),
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 300 ? text : text.substring(0, 300) + "...";
    }

    /** Consecutive seqs as a list, for a readable assertion. */
    private static final class LongRange {
        static List<Long> of(long from, long to) {
            return IntStream.rangeClosed(0, (int) (to - from)).mapToObj(i -> from + i).collect(Collectors.toList());
        }
    }
}
