package duplex.guard;

import duplex.testing.RawWebSocket;
import duplex.testing.ServerUnderTest;
import duplex.testing.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hostile-client suite: handshakes, frames and floods that a public server meets on its
 * first day, each followed by the same health check: a bystander connected before the case saw
 * nothing and still works, a well-behaved client is served at normal speed, no thread died, and
 * the heap returned to its baseline. Subclasses start the server (embedded Tyrus, embedded
 * Tomcat) and describe what it answers, as data, in {@link Expectations}. Every case records what it
 * observed; the record is written to {@code target/hostile-<server>.md} for the closing note.
 */
abstract class HostileClientCases {

    /** A few megabytes of slack over the baseline: buffers pooled by the container, JIT, class data. */
    static final long HEAP_TOLERANCE = 48L * 1024 * 1024;
    /** A well-behaved client's round trips after a case may take at most this many times the baseline (plus 2 s). */
    static final int SLOWDOWN_FACTOR = 10;
    static final int ROUND_TRIPS = 200;

    private static final List<Throwable> UNCAUGHT = new CopyOnWriteArrayList<>();
    private static final Map<String, List<String>> RECORDS = new ConcurrentHashMap<>();

    static long baselineHeap;
    static Duration baselineRoundTrips;
    private static ServerUnderTest.InJvm underTest;
    private static Expectations expected;

    private WsClient bystander;
    private WsClient chatBystander;
    private String currentCase;

    /**
     * What the server under test is known to answer where servers differ.
     *
     * @param missingKeyStatus what this server answers to a handshake without Sec-WebSocket-Key: anything but 101
     * @param closesOnUnmaskedFrames whether this server closes on an unmasked client frame as RFC 6455 5.1
     *     says. Tyrus (and so Payara) does not: it takes the frame as if masked. Masking protects proxies
     *     from browser scripts, and a browser always masks, so what an unmasked frame can do is what any
     *     other message can do.
     * @param hugeFrameCloseCode the close code for a frame larger than any limit. Tomcat hands a large
     *     frame to the endpoint in parts, and the endpoint's own limit closes with 1009; Tyrus buffers a
     *     whole frame first and closes with 1011 "Buffer overflow" once its 4 MiB buffer is full.
     * @param upgradesTokenLists whether this server upgrades a handshake whose Upgrade header lists
     *     tokens (Tomcat does)
     */
    record Expectations(int missingKeyStatus, boolean closesOnUnmaskedFrames, int hugeFrameCloseCode,
                        boolean upgradesTokenLists) {
    }

    static URI ws(String path) {
        return underTest.ws(path);
    }

    /** The open connections the server counts itself. */
    static int serverConnections() {
        return underTest.duplex().connections().count();
    }

    /** Runs before the subclass's {@code @BeforeAll} starts the server (JUnit runs a superclass's first). */
    @BeforeAll
    static void installWatchers() {
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((thread, error) -> {
            UNCAUGHT.add(new AssertionError("thread " + thread.getName() + " died", error));
            if (previous != null) {
                previous.uncaughtException(thread, error);
            }
        });
    }

    /**
     * Runs the suite against this server (call it in {@code @BeforeAll}, once the server is up;
     * it is closed after the suite): warms up and measures what "normal" is on this machine right now.
     */
    static void runAgainst(ServerUnderTest.InJvm server, Expectations answers) {
        underTest = server;
        expected = answers;
        for (int i = 0; i < 3; i++) {
            roundTrips(); // warm the JIT and the container's pools before measuring
        }
        baselineRoundTrips = roundTrips();
        baselineHeap = heapAfterGc();
    }

    @BeforeEach
    void connectBystander(TestInfo test) {
        currentCase = test.getTestMethod().map(m -> m.getName()).orElse(test.getDisplayName());
        bystander = WsClient.connect(ws("echo"), "echo");
        bystander.send("bystander ready");
        assertEquals("bystander ready", bystander.nextText());
        if (hasChat()) {
            // A chat member in a room of its own: the chat cases must not reach it either.
            chatBystander = WsClient.connect(ws("chat/bystanders?name=watcher"));
            assertTrue(chatBystander.nextText().contains("\"welcome\""));
            // Its own join, announced to the room (itself) a presence tick later: from then on, quiet.
            assertTrue(chatBystander.nextText().startsWith("{\"type\":\"presence\""));
        }
    }

    @AfterEach
    void serverIsStillHealthy() {
        // The bystander saw nothing of the case, and is still served.
        assertEquals(0, bystander.backlog(), "the bystander received something during " + currentCase);
        assertFalse(bystander.isClosed(), "the bystander was closed during " + currentCase);
        bystander.send("still there?");
        assertEquals("still there?", bystander.nextText());
        bystander.close();
        if (chatBystander != null) {
            assertEquals(0, chatBystander.backlog(), "the chat bystander received something during " + currentCase);
            chatBystander.send("{\"type\":\"say\",\"text\":\"still here\"}");
            assertTrue(chatBystander.nextText().contains("still here"));
            chatBystander.close();
            chatBystander = null;
        }

        Duration elapsed = roundTrips();
        Duration allowed = baselineRoundTrips.multipliedBy(SLOWDOWN_FACTOR).plusSeconds(2);
        assertTrue(elapsed.compareTo(allowed) <= 0,
                ROUND_TRIPS + " round trips took " + elapsed.toMillis() + " ms after " + currentCase
                        + " (baseline " + baselineRoundTrips.toMillis() + " ms)");

        assertTrue(UNCAUGHT.isEmpty(), "threads died: " + UNCAUGHT);
        assertTrue(threadAlive("duplex-scheduler"), "the Duplex heartbeat thread is gone");

        long[] heap = new long[1];
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
            heap[0] = heapAfterGc();
            return heap[0] <= baselineHeap + HEAP_TOLERANCE;
        });
        note("health: " + ROUND_TRIPS + " round trips " + elapsed.toMillis() + " ms (baseline "
                + baselineRoundTrips.toMillis() + " ms), heap after GC " + mib(heap[0]) + " MiB (baseline "
                + mib(baselineHeap) + " MiB)");
    }

    @AfterAll
    static void closeServer() throws Exception {
        if (underTest != null) {
            underTest.close();
            underTest = null;
        }
    }

    @AfterAll
    static void writeRecord() {
        // Each subclass writes its own file; the static map holds every server's cases.
        RECORDS.forEach((server, lines) -> {
            try {
                Path file = Path.of("target", "hostile-" + server + ".md");
                Files.createDirectories(file.getParent());
                List<String> sorted = new ArrayList<>(lines);
                Collections.sort(sorted);
                Files.write(file, sorted, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Records what a case observed. */
    void record(String observed) {
        RECORDS.computeIfAbsent(underTest.name(), k -> new CopyOnWriteArrayList<>()).add("| " + currentCase + " | " + observed + " |");
    }

    private void note(String health) {
        RECORDS.computeIfAbsent(underTest.name(), k -> new CopyOnWriteArrayList<>()).add("| " + currentCase + " (after) | " + health + " |");
    }

    // ---------------------------------------------------------------- handshakes

    @Test
    void wrongWebSocketVersionIsRefused() {
        try (RawWebSocket raw = RawWebSocket.connect(ws("echo"))) {
            RawWebSocket.Response response = raw.handshake(ws("echo"), Map.of("Sec-WebSocket-Version", "8"));
            record("HTTP " + response.status() + ", Sec-WebSocket-Version: " + response.header("Sec-WebSocket-Version"));
            assertEquals(426, response.status(), response.statusLine());
            assertEquals("13", response.header("Sec-WebSocket-Version"));
        }
    }

    @Test
    void missingKeyIsRefused() {
        try (RawWebSocket raw = RawWebSocket.connect(ws("echo"))) {
            Map<String, String> noKey = new java.util.HashMap<>();
            noKey.put("Sec-WebSocket-Key", null);
            RawWebSocket.Response response = raw.handshake(ws("echo"), noKey);
            record("HTTP " + response.status());
            assertEquals(expected.missingKeyStatus(), response.status(), response.statusLine());
        }
    }

    @Test
    void foreignOriginIsRefusedWith403() {
        try (RawWebSocket raw = RawWebSocket.connect(ws("echo"))) {
            RawWebSocket.Response response = raw.handshake(ws("echo"), Map.of("Origin", "http://evil.example"));
            record("HTTP " + response.status());
            assertEquals(403, response.status(), response.statusLine());
        }
        // The same origin with another port is another origin.
        URI echo = ws("echo");
        try (RawWebSocket raw = RawWebSocket.connect(echo)) {
            RawWebSocket.Response response = raw.handshake(echo, Map.of("Origin", "http://localhost:" + (echo.getPort() + 1)));
            assertEquals(403, response.status(), response.statusLine());
        }
        try (RawWebSocket raw = RawWebSocket.connect(echo)) {
            assertEquals(403, raw.handshake(echo, Map.of("Origin", "null")).status());
        }
    }

    /**
     * {@code Upgrade} headers that list tokens, or come twice: Tomcat upgrades every one of them
     * (it looks for the token), so the guard must take each for a handshake.
     */
    static final List<List<String>> UPGRADE_LISTS = List.of(List.of("foo, websocket"), List.of("websocket, x"),
            List.of("h2c", "websocket"), List.of(" WebSocket ,foo"));

    /** A handshake with these Upgrade lines instead of the standard one, and the extra headers. */
    static RawWebSocket.Response handshakeWithUpgrades(RawWebSocket raw, URI uri, List<String> upgrades, Map<String, String> extra) {
        StringBuilder request = new StringBuilder("GET " + uri.getRawPath() + " HTTP/1.1\r\n");
        Map<String, String> headers = RawWebSocket.standardHeaders(uri);
        headers.remove("Upgrade");
        headers.putAll(extra);
        headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
        upgrades.forEach(value -> request.append("Upgrade: ").append(value).append("\r\n"));
        return raw.rawHandshake(request.append("\r\n").toString());
    }

    @Test
    void upgradeTokenListsWithAForeignOriginAre403AndLogNoStackTrace() {
        List<String> observed = new ArrayList<>();
        try (duplex.testing.LogCapture log = new duplex.testing.LogCapture()) {
            for (List<String> upgrades : UPGRADE_LISTS) {
                try (RawWebSocket raw = RawWebSocket.connect(ws("echo"))) {
                    RawWebSocket.Response response = handshakeWithUpgrades(raw, ws("echo"), upgrades, Map.of("Origin", "http://evil.example"));
                    observed.add(upgrades + " -> " + response.status());
                    assertNotEquals(101, response.status(), upgrades + ": " + response.statusLine());
                    if (expected.upgradesTokenLists()) {
                        assertEquals(403, response.status(), upgrades + ": " + response.statusLine());
                    } else {
                        assertTrue(response.status() >= 400 && response.status() < 500, upgrades + ": " + response.statusLine());
                    }
                }
            }
            record(String.join("; ", observed));
            assertEquals(List.of(), log.severeOrStackTraces(), "a refusal is one line, not a stack trace");
        }
    }

    @Test
    void upgradeTokenListsCountAgainstTheAddressLimit() {
        org.junit.jupiter.api.Assumptions.assumeTrue(expected.upgradesTokenLists(), "this server does not upgrade such requests");
        InetAddress address = loopback("127.0.0.3");
        int before = serverConnections();
        int limit = duplex.app.Settings.defaults().maxConnectionsPerAddress();
        List<RawWebSocket> open = new ArrayList<>();
        try {
            for (int i = 0; i < limit; i++) {
                RawWebSocket raw = RawWebSocket.connect(ws("echo"), address);
                open.add(raw);
                RawWebSocket.Response response = handshakeWithUpgrades(raw, ws("echo"), UPGRADE_LISTS.get(i % UPGRADE_LISTS.size()), Map.of());
                assertEquals(101, response.status(), response.statusLine());
                raw.sendText("n" + i);
                assertEquals("n" + i, raw.readFrame().text(), "served: counted against its address");
            }
            try (RawWebSocket oneTooMany = RawWebSocket.connect(ws("echo"), address)) {
                RawWebSocket.Response response = handshakeWithUpgrades(oneTooMany, ws("echo"), UPGRADE_LISTS.get(0), Map.of());
                assertEquals(101, response.status(), response.statusLine());
                int code = oneTooMany.awaitCloseCode();
                record(limit + " served through listed Upgrade headers from 127.0.0.3, the next closed with " + code);
                assertEquals(1013, code);
            }
        } finally {
            open.forEach(RawWebSocket::close);
        }
        if (before >= 0) {
            await().atMost(WsClient.TIMEOUT).until(() -> serverConnections() == before);
        }
    }

    private static InetAddress loopback(String address) {
        try {
            return InetAddress.getByName(address);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void ownOriginAndNoOriginAreAccepted() {
        URI echo = ws("echo");
        for (Map<String, String> headers : List.of(Map.<String, String>of(), Map.of("Origin", "http://localhost:" + echo.getPort()),
                Map.of("Origin", "HTTP://LOCALHOST:" + echo.getPort()))) {
            try (RawWebSocket raw = RawWebSocket.open(echo, headers)) {
                raw.sendText("same origin");
                RawWebSocket.Frame frame = raw.readFrame();
                assertEquals("same origin", frame.text());
            }
        }
        record("HTTP 101 without Origin and with the server's own origin");
    }

    @Test
    void oversizedHeadersAreRefused() {
        try (RawWebSocket raw = RawWebSocket.connect(ws("echo"))) {
            String huge = "x".repeat(256 * 1024);
            String observed;
            try {
                RawWebSocket.Response response = raw.handshake(ws("echo"), Map.of("X-Filler", huge));
                observed = "HTTP " + response.status();
                assertNotEquals(101, response.status());
                assertTrue(response.status() >= 400, response.statusLine());
            } catch (IllegalStateException e) {
                // The server hung up without an answer: also a refusal.
                observed = "connection closed without a response (" + e.getCause().getClass().getSimpleName() + ")";
            }
            record(observed);
        }
    }

    // ---------------------------------------------------------------- frames

    private RawWebSocket openEcho() {
        return RawWebSocket.open(ws("echo"));
    }

    private int closeAfter(java.util.function.Consumer<RawWebSocket> hostile) {
        try (RawWebSocket raw = openEcho()) {
            hostile.accept(raw);
            RawWebSocket.Frame close = raw.awaitClose();
            int code = close == null ? 1006 : close.closeCode();
            record("close " + code + (close == null ? " (no close frame)" : " \"" + close.closeReason() + "\""));
            return code;
        }
    }

    @Test
    void unmaskedClientFrameIsAProtocolError() {
        try (RawWebSocket raw = openEcho()) {
            raw.frame(true, 0, RawWebSocket.TEXT, "unmasked".getBytes(StandardCharsets.UTF_8), false);
            RawWebSocket.Frame frame = raw.readFrame();
            if (expected.closesOnUnmaskedFrames()) {
                assertEquals(RawWebSocket.CLOSE, frame.opcode(), "answered " + frame);
                record("close " + frame.closeCode() + " \"" + frame.closeReason() + "\"");
                assertEquals(1002, frame.closeCode());
            } else {
                assertEquals("unmasked", frame.text());
                record("not enforced by this container: the frame was taken as a message and echoed");
            }
        }
    }

    @Test
    void reservedBitsAreAProtocolError() {
        assertEquals(1002, closeAfter(raw -> raw.frame(true, 0b100, RawWebSocket.TEXT, "rsv1".getBytes(StandardCharsets.UTF_8), true)));
    }

    @Test
    void fragmentedControlFrameIsAProtocolError() {
        assertEquals(1002, closeAfter(raw -> raw.frame(false, 0, RawWebSocket.PING, "frag".getBytes(StandardCharsets.UTF_8), true)));
    }

    @Test
    void unknownOpcodeIsAProtocolError() {
        assertEquals(1002, closeAfter(raw -> raw.frame(true, 0, 0x3, new byte[] {1}, true)));
    }

    @Test
    void invalidUtf8InTextIs1007() {
        byte[] invalid = {'o', 'k', (byte) 0xC3, (byte) 0x28, (byte) 0xFF};
        assertEquals(1007, closeAfter(raw -> raw.send(RawWebSocket.TEXT, invalid)));
    }

    @Test
    void oversizeTextIs1009() {
        byte[] tooBig = new byte[65_537];
        java.util.Arrays.fill(tooBig, (byte) 'a');
        assertEquals(1009, closeAfter(raw -> raw.send(RawWebSocket.TEXT, tooBig)));
    }

    @Test
    void aFrameAnnouncingExabytesIsCutOffAtTheLimit() {
        // The header announces 2^62 bytes; the payload then streams until the server hangs up.
        // Memory must stay bounded by the limits, not by what the header claims.
        long[] sent = new long[1];
        int code = closeAfter(raw -> {
            raw.writeRaw(RawWebSocket.encode(true, 0, RawWebSocket.BINARY, new byte[0], true, Long.MAX_VALUE / 2));
            byte[] chunk = new byte[64 * 1024];
            while (sent[0] < 32L * 1024 * 1024 && raw.writeRaw(chunk)) {
                sent[0] += chunk.length;
            }
        });
        record("cut off after " + mib(sent[0]) + " MiB of payload had been written");
        assertEquals(expected.hugeFrameCloseCode(), code);
    }

    @Test
    void closeWithAnInvalidCodeIsAProtocolError() {
        for (int invalid : new int[] {999, 1005, 1006, 1015, 2999, 5000}) {
            try (RawWebSocket raw = openEcho()) {
                raw.sendClose(invalid);
                int code = raw.awaitCloseCode();
                record("close code " + invalid + " answered with " + code);
                assertEquals(1002, code, "answer to a close with code " + invalid);
            }
        }
    }

    @Test
    void closeWithAValidCodeIsEchoed() {
        try (RawWebSocket raw = openEcho()) {
            raw.sendClose(4000);
            int code = raw.awaitCloseCode();
            record("close code 4000 answered with " + code);
            assertTrue(code == 4000 || code == 1000, "answered with " + code);
        }
    }

    // ---------------------------------------------------------------- floods

    @Test
    void tenThousandMessagesAsFastAsPossible() {
        int count = 10_000;
        // A flooder that does not read what comes back: the answers pile up at the server,
        // which cuts it off once its outbox passes the bound, or sends them all if it keeps up.
        try (RawWebSocket raw = openEcho()) {
            java.io.ByteArrayOutputStream burst = new java.io.ByteArrayOutputStream();
            for (int i = 0; i < count; i++) {
                burst.writeBytes(RawWebSocket.encode(true, 0, RawWebSocket.TEXT, ("m" + i).getBytes(StandardCharsets.UTF_8), true, ("m" + i).length()));
            }
            long start = System.nanoTime();
            raw.writeRaw(burst.toByteArray());
            int echoed = 0;
            RawWebSocket.Frame frame;
            while ((frame = raw.readFrame()) != null && frame.opcode() == RawWebSocket.TEXT) {
                assertEquals("m" + echoed, frame.text(), "echoes in order");
                echoed++;
                if (echoed == count) {
                    break;
                }
            }
            String end = frame == null ? "connection ended" : frame.opcode() == RawWebSocket.CLOSE
                    ? "close " + frame.closeCode() + " \"" + frame.closeReason() + "\"" : "all echoed";
            record("raw flood (" + count + " frames, " + burst.size() + " bytes in one write): " + echoed
                    + " echoed in order, then " + end + " in " + (System.nanoTime() - start) / 1_000_000 + " ms");
            assertTrue(echoed == count || (frame != null && frame.opcode() == RawWebSocket.CLOSE && frame.closeCode() == 1008),
                    "either everything comes back, or the flooder is cut off as a slow consumer");
        }
        // The same flood from a client that reads as it goes: the echoes come back in order, all
        // of them if the server writes as fast as the client sends, else up to the point where
        // the outbox bound cut the client off (1008): sending faster than one reads is being slow.
        try (WsClient client = WsClient.connect(ws("echo"))) {
            long start = System.nanoTime();
            CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < count && !client.isClosed(); i++) {
                    client.send("n" + i);
                }
            });
            int echoed = 0;
            WsClient.Event event = null;
            while (echoed < count) {
                event = client.next();
                if (!(event instanceof WsClient.Text text)) {
                    break;
                }
                assertEquals("n" + echoed, text.text(), "echoes in order");
                echoed++;
            }
            sending.exceptionally(e -> null).join();
            record("reading flooder: " + echoed + " echoed in order" + (echoed == count ? "" : ", then " + event)
                    + " in " + (System.nanoTime() - start) / 1_000_000 + " ms");
            WsClient.Event end = event;
            assertTrue(echoed == count || (end instanceof WsClient.Closed closed && closed.code() == 1008),
                    "either everything comes back, or the client is cut off as a slow consumer: " + end);
        }
    }

    @Test
    void fiveHundredConnectionsFromOneAddress() throws Exception {
        // From 127.0.0.2: another client host as far as the server can tell, so the bystander
        // and the well-behaved client (127.0.0.1) show that the limit is per address.
        InetAddress flooder = InetAddress.getByName("127.0.0.2");
        int attempts = 500;
        int before = serverConnections();
        List<RawWebSocket> sockets = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            // All handshakes first, sending nothing: a refused connection gets its 1013 close at
            // once, and a client that wrote to it meanwhile could see a reset instead of the close.
            List<Future<RawWebSocket>> handshakes = new ArrayList<>();
            for (int i = 0; i < attempts; i++) {
                handshakes.add(pool.submit(() -> {
                    RawWebSocket raw = RawWebSocket.connect(ws("echo"), flooder);
                    sockets.add(raw);
                    RawWebSocket.Response response = raw.handshake(ws("echo"), Map.of());
                    assertEquals(101, response.status(), response.statusLine());
                    return raw;
                }));
            }
            List<RawWebSocket> upgraded = new ArrayList<>();
            for (Future<RawWebSocket> handshake : handshakes) {
                upgraded.add(handshake.get(2, TimeUnit.MINUTES));
            }
            // Wait until the refused ones have their close; the served ones hear nothing.
            long[] answered = new long[1];
            await().atMost(WsClient.TIMEOUT).until(() -> {
                answered[0] = upgraded.stream().filter(RawWebSocket::hasInput).count();
                return answered[0] >= attempts - 100;
            });
            int open = 0;
            int tryAgainLater = 0;
            Map<Integer, Integer> other = new java.util.TreeMap<>();
            for (RawWebSocket raw : upgraded) {
                int result;
                if (raw.hasInput()) {
                    RawWebSocket.Frame frame = raw.readFrame();
                    result = frame == null ? 1006 : frame.opcode() == RawWebSocket.CLOSE ? frame.closeCode() : -frame.opcode();
                } else {
                    raw.sendText("hello");
                    RawWebSocket.Frame frame = raw.readFrame();
                    result = frame != null && frame.opcode() == RawWebSocket.TEXT && frame.text().equals("hello") ? 101
                            : frame == null ? 1006 : frame.closeCode();
                }
                if (result == 101) {
                    open++;
                } else if (result == 1013) {
                    tryAgainLater++;
                } else {
                    other.merge(result, 1, Integer::sum);
                }
            }
            record(attempts + " connections from 127.0.0.2: " + open + " served, " + tryAgainLater
                    + " closed with 1013" + (other.isEmpty() ? "" : ", other " + other));
            assertEquals(100, open);
            assertEquals(attempts - 100, tryAgainLater);

            // Meanwhile another address is served as usual.
            try (WsClient other127 = WsClient.connect(ws("echo"))) {
                other127.send("from 127.0.0.1");
                assertEquals("from 127.0.0.1", other127.nextText());
            }
        } finally {
            pool.shutdownNow();
            sockets.forEach(RawWebSocket::close);
        }
        if (before >= 0) {
            await().atMost(WsClient.TIMEOUT).until(() -> serverConnections() == before);
        }
        // Once they are gone, the address may connect again.
        await().atMost(WsClient.TIMEOUT).untilAsserted(() -> {
            try (RawWebSocket again = RawWebSocket.connect(ws("echo"), flooder)) {
                assertEquals(101, again.handshake(ws("echo"), Map.of()).status());
                again.sendText("back");
                assertEquals("back", again.readFrame().text());
            }
        });
    }

    // ---------------------------------------------------------------- JSON and frames to chat

    /** Whether this server has the chat endpoint (the JSON cases need it). */
    static boolean hasChat() {
        return duplex.app.Duplex.ENDPOINTS.stream().anyMatch(e -> e.getSimpleName().equals("ChatEndpoint"));
    }

    private static int rooms;

    /** A member of a fresh room, past its welcome. */
    private RawWebSocket joinChat() {
        org.junit.jupiter.api.Assumptions.assumeTrue(hasChat(), "no chat endpoint in this build");
        String room = "hostile-" + (++rooms) + "-" + Long.toHexString(System.nanoTime());
        RawWebSocket raw = RawWebSocket.open(ws("chat/" + room + "?name=hostile"));
        RawWebSocket.Frame welcome = raw.readFrame();
        assertEquals("welcome", json(welcome).getString("type"), welcome.text());
        return raw;
    }

    private static jakarta.json.JsonObject json(RawWebSocket.Frame frame) {
        assertEquals(RawWebSocket.TEXT, frame.opcode(), "expected a text frame, got opcode " + frame.opcode()
                + (frame.opcode() == RawWebSocket.CLOSE ? " close " + frame.closeCode() + " " + frame.closeReason() : ""));
        try (jakarta.json.JsonReader reader = jakarta.json.Json.createReader(new java.io.StringReader(frame.text()))) {
            return reader.readObject();
        }
    }

    /**
     * The next message that is not a presence announcement: a member's own join is announced a
     * presence tick after its welcome, which on a loaded machine may come after the answer.
     */
    private static jakarta.json.JsonObject nextAnswer(RawWebSocket raw) {
        while (true) {
            jakarta.json.JsonObject message = json(raw.readFrame());
            if (!"presence".equals(message.getString("type", ""))) {
                return message;
            }
        }
    }

    /** Sends one text to a fresh chat member and returns the error code it got back. */
    private String chatErrorFor(String text) {
        try (RawWebSocket raw = joinChat()) {
            raw.sendText(text);
            jakarta.json.JsonObject answer = nextAnswer(raw);
            assertEquals("error", answer.getString("type"), answer.toString());
            String shown = text.length() > 60 ? text.substring(0, 60) + "... (" + text.length() + " chars)" : text;
            record("`" + shown.replace("|", "\\|") + "` -> error " + answer.getString("code") + " \"" + answer.getString("message") + "\"");
            // Still a member afterwards: a good message goes through.
            raw.sendText("{\"type\":\"say\",\"text\":\"still here\"}");
            jakarta.json.JsonObject said = nextAnswer(raw);
            assertEquals("message", said.getString("type"), said.toString());
            return answer.getString("code");
        }
    }

    @Test
    void chatNotJsonOrNotAnObjectIsBadJson() {
        assertEquals("bad_json", chatErrorFor("hello"));
        assertEquals("bad_json", chatErrorFor("[1,2,3]"));
        assertEquals("bad_json", chatErrorFor("[{\"type\":\"say\",\"text\":\"in an array\"}]"));
        assertEquals("bad_json", chatErrorFor("\"just a string\""));
        assertEquals("bad_json", chatErrorFor("{\"type\":\"say\",\"text\":\"x\"} trailing"));
    }

    @Test
    void chatTenThousandLevelsOfNestingIsBadJson() {
        assertEquals("bad_json", chatErrorFor("[".repeat(10_000) + "]".repeat(10_000)));
        assertEquals("bad_json", chatErrorFor("{\"type\":\"say\",\"text\":\"x\",\"deep\":" + "{\"a\":".repeat(5_000) + "1" + "}".repeat(5_001)));
        // 10000 levels of objects are 50 KB: past the frame limit before any parsing.
        try (RawWebSocket raw = joinChat()) {
            raw.sendText("{\"type\":\"say\",\"text\":\"x\",\"deep\":" + "{\"a\":".repeat(10_000) + "1" + "}".repeat(10_001));
            int code = raw.awaitCloseCode();
            record("10000 levels of objects (50 KB) -> close " + code);
            assertEquals(1009, code);
        }
    }

    @Test
    void chatTenMegabyteStringIsCutOffAt1009() {
        try (RawWebSocket raw = joinChat()) {
            String huge = "{\"type\":\"say\",\"text\":\"" + "a".repeat(10 * 1024 * 1024) + "\"}";
            raw.writeRaw(RawWebSocket.encode(true, 0, RawWebSocket.TEXT, huge.getBytes(StandardCharsets.UTF_8), true, huge.length()));
            RawWebSocket.Frame close = raw.awaitClose();
            int code = close == null ? 1006 : close.closeCode();
            record("10 MiB text in one frame -> close " + code + (close == null ? "" : " \"" + close.closeReason() + "\""));
            assertEquals(expected.hugeFrameCloseCode(), code);
        }
    }

    @Test
    void chatNumbersAsStringsAndStringsAsNumbersAreInvalid() {
        assertEquals("invalid", chatErrorFor("{\"type\":\"say\",\"text\":42}"));
        assertEquals("invalid", chatErrorFor("{\"type\":\"say\",\"text\":true}"));
        assertEquals("invalid", chatErrorFor("{\"type\":\"say\",\"text\":null}"));
        assertEquals("invalid", chatErrorFor("{\"type\":\"rename\",\"name\":12345}"));
        assertEquals("invalid", chatErrorFor("{\"type\":42,\"text\":\"hi\"}"));
        assertEquals("unknown_type", chatErrorFor("{\"type\":\"42\",\"text\":\"hi\"}"));
        assertEquals("bad_json", chatErrorFor("{\"type\":\"say\",\"text\":\"hi\",\"n\":1" + "0".repeat(500) + "}"));
    }

    @Test
    void chatDuplicateKeysAreBadJson() {
        assertEquals("bad_json", chatErrorFor("{\"type\":\"say\",\"text\":\"a\",\"text\":\"b\"}"));
        assertEquals("bad_json", chatErrorFor("{\"type\":\"say\",\"type\":\"rename\",\"name\":\"x\"}"));
    }

    @Test
    void chatUnknownFieldsAreIgnoredAndNotPassedOn() {
        try (RawWebSocket raw = joinChat()) {
            raw.sendText("{\"type\":\"say\",\"text\":\"hello\",\"admin\":true,\"from\":{\"id\":\"x\",\"name\":\"root\"},\"__proto__\":{\"x\":1}}");
            jakarta.json.JsonObject said = nextAnswer(raw);
            assertEquals("message", said.getString("type"), said.toString());
            assertEquals("hello", said.getString("text"));
            assertEquals("hostile", said.getJsonObject("from").getString("name"), "the sender cannot choose its from");
            assertTrue(!said.containsKey("admin") && !said.containsKey("__proto__"), said.toString());
            record("unknown fields (admin, from, __proto__) ignored: the message went out with the server's from, nothing else");
        }
    }

    @Test
    void chatImpersonatingNamesAreRefused() {
        org.junit.jupiter.api.Assumptions.assumeTrue(hasChat(), "no chat endpoint in this build");
        // Invisible, reordering (U+202E shows "ecila" as "alice"), lookalike-with-a-mark, blank fillers.
        String[] names = {"alice\u200B", "\u200B", "\u202Eecila", "alice \u2713", "\u2066", "\uFEFF", "\u3164", "\u115F\u1160"};
        List<String> closes = new ArrayList<>();
        for (String name : names) {
            String query = java.net.URLEncoder.encode(name, StandardCharsets.UTF_8);
            try (RawWebSocket raw = RawWebSocket.open(ws("chat/hostile-names?name=" + query))) {
                RawWebSocket.Frame close = raw.awaitClose();
                assertTrue(close != null, "no close frame for " + query);
                assertEquals(1008, close.closeCode(), query);
                assertEquals("invalid name", close.closeReason(), query);
                closes.add(query);
            }
            assertEquals("invalid", chatErrorFor(jakarta.json.Json.createObjectBuilder()
                    .add("type", "rename").add("name", name).build().toString()));
        }
        record("?name= " + String.join(", ", closes) + " -> close 1008 \"invalid name\"; the same as rename -> error invalid");
    }

    @Test
    void chatBinaryFrameIs1003() {
        try (RawWebSocket raw = joinChat()) {
            raw.send(RawWebSocket.BINARY, new byte[] {1, 2, 3});
            RawWebSocket.Frame close = raw.awaitClose();
            int code = close == null ? 1006 : close.closeCode();
            record("binary frame -> close " + code + (close == null ? "" : " \"" + close.closeReason() + "\""));
            assertEquals(1003, code);
        }
    }

    @Test
    void chatFloodIsRateLimitedThenClosed() {
        try (RawWebSocket raw = joinChat()) {
            java.io.ByteArrayOutputStream burst = new java.io.ByteArrayOutputStream();
            for (int i = 0; i < 10_000; i++) {
                byte[] say = ("{\"type\":\"say\",\"text\":\"flood " + i + "\"}").getBytes(StandardCharsets.UTF_8);
                burst.writeBytes(RawWebSocket.encode(true, 0, RawWebSocket.TEXT, say, true, say.length));
            }
            raw.writeRaw(burst.toByteArray());
            int delivered = 0;
            int limited = 0;
            RawWebSocket.Frame frame;
            while ((frame = raw.readFrame()) != null && frame.opcode() == RawWebSocket.TEXT) {
                String type = json(frame).getString("type");
                if (type.equals("message")) {
                    delivered++;
                } else if (type.equals("error")) {
                    limited++;
                }
            }
            int code = frame == null ? 1006 : frame.closeCode();
            record("10000 says in one burst: " + delivered + " delivered, " + limited + " rate_limited errors, then close " + code
                    + (frame == null ? "" : " \"" + frame.closeReason() + "\""));
            assertTrue(delivered < 10_000, "the rate limit let everything through");
            assertTrue(code == 1008 || code == 1006, "closed with " + code);
        }
    }

    // ---------------------------------------------------------------- helpers

    static Duration roundTrips() {
        try (WsClient client = WsClient.connect(ws("echo"), "echo")) {
            long start = System.nanoTime();
            for (int i = 0; i < ROUND_TRIPS; i++) {
                client.send("ping " + i);
                assertEquals("ping " + i, client.nextText());
            }
            return Duration.ofNanos(System.nanoTime() - start);
        }
    }

    static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static boolean threadAlive(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith(prefix) && t.isAlive());
    }

    static long mib(long bytes) {
        return bytes / (1024 * 1024);
    }
}
