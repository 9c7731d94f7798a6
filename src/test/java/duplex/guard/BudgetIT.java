package duplex.guard;

import duplex.app.Duplex;
import duplex.delivery.Outbox;
import duplex.testing.RawWebSocket;
import duplex.testing.ServerUnderTest;
import duplex.testing.TomcatServer;
import duplex.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What one client address, or many, can make the server hold, on the WAR in Tomcat 11 (in-process,
 * so the test reads the budget and the heap of the very server it attacks). Clients come from
 * distinct loopback addresses (127.0.x.y), as distinct hosts would.
 */
class BudgetIT {

    private static final long MIB = 1 << 20;
    /** The worst text for the heap: one astral character makes the string two bytes a character, 1999 quotes double its JSON. */
    private static final String HEAVY = "\uD83D\uDE00" + "\"".repeat(1999);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Duration ATTACK = Duration.parse("PT" + System.getProperty("duplex.it.attack-seconds", "60") + "S");

    private static InetAddress address(int host) {
        try {
            return InetAddress.getByName("127.0." + (host / 250) + "." + (2 + host % 250));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long heapAfterGc() {
        Runtime runtime = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return runtime.totalMemory() - runtime.freeMemory();
    }

    /** Asks /health every 250 ms, and records how long each answer took and any that failed (5 s at most). */
    private static final class HealthWatch implements AutoCloseable {
        final AtomicLong worstMillis = new AtomicLong();
        final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger answered = new AtomicInteger();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        HealthWatch(URI health) {
            thread = new Thread(() -> {
                while (running.get()) {
                    long started = System.nanoTime();
                    try {
                        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(5)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (response.statusCode() != 200) {
                            failures.add("status " + response.statusCode());
                        }
                        answered.incrementAndGet();
                    } catch (Exception e) {
                        failures.add(e.toString());
                    }
                    worstMillis.accumulateAndGet((System.nanoTime() - started) / 1_000_000, Math::max);
                    await().pollDelay(Duration.ofMillis(250)).atMost(Duration.ofSeconds(1)).until(() -> true);
                }
            }, "health-watch");
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
        }
    }

    @Test
    void roomFillingClientsAtFullSpeedStayWithinTheBudgetAndHealthAnswers() throws Exception {
        long total = 64 * MIB;
        long perAddress = 24 * MIB;
        try (TomcatServer server = ServerUnderTest.tomcat(Map.of(
                "duplex.memory.total", String.valueOf(total),
                "duplex.memory.per-address", String.valueOf(perAddress),
                "duplex.chat.max-rooms-per-address", "100"))) {
            Duplex duplex = server.duplex();
            long baseline = heapAfterGc();
            int addresses = 4;
            int threadsPerAddress = 4;
            AtomicBoolean attacking = new AtomicBoolean(true);
            AtomicLong messages = new AtomicLong();
            AtomicLong rooms = new AtomicLong();
            ExecutorService attackers = Executors.newFixedThreadPool(addresses * threadsPerAddress);
            List<Future<?>> running = new ArrayList<>();
            try (HealthWatch health = new HealthWatch(server.http("health"))) {
                for (int a = 0; a < addresses; a++) {
                    InetAddress from = address(a);
                    for (int t = 0; t < threadsPerAddress; t++) {
                        String prefix = "fill" + a + "x" + t + "n";
                        running.add(attackers.submit(() -> {
                            for (int n = 0; attacking.get(); n++) {
                                // A new connection (a full bucket of its own) and a new room every round.
                                // 26 rooms a thread, 104 an address: a few more than it may create.
                                URI uri = server.ws("chat/" + prefix + (n % 26) + "?name=filler");
                                try (RawWebSocket ws = RawWebSocket.connect(uri, from)) {
                                    if (ws.handshake(uri, Map.of()).status() != 101) {
                                        continue;
                                    }
                                    RawWebSocket.Frame welcome = ws.readFrame();
                                    if (welcome == null || welcome.opcode() == RawWebSocket.CLOSE) {
                                        continue; // refused (1013 too many rooms from this address): go on trying
                                    }
                                    rooms.incrementAndGet();
                                    String say = "{\"type\":\"say\",\"text\":" + jakarta.json.Json.createValue(HEAVY) + "}";
                                    for (int i = 0; i < 40; i++) {
                                        ws.sendText(say);
                                    }
                                    for (int i = 0; i < 40; i++) {
                                        RawWebSocket.Frame answer = ws.readFrame();
                                        if (answer == null || answer.opcode() == RawWebSocket.CLOSE) {
                                            break;
                                        }
                                        if (answer.text().startsWith("{\"type\":\"message\"")) {
                                            messages.incrementAndGet();
                                        }
                                    }
                                    ws.sendClose(1000);
                                }
                            }
                            return null;
                        }));
                    }
                }
                await().pollDelay(ATTACK).atMost(ATTACK.plusSeconds(5)).until(() -> true);
                attacking.set(false);
                for (Future<?> f : running) {
                    f.get(60, TimeUnit.SECONDS);
                }
                attackers.shutdown();
                assertTrue(health.failures.isEmpty(), "/health answered throughout: " + health.failures);
                assertTrue(health.answered.get() > 0, "/health was asked");
                long heldHistory = messages.get() * MemoryBudget.ofText(2 * HEAVY.length());
                System.out.printf("[budget] %d rooms and %d messages of up to %d heap bytes accepted in %s from %d addresses "
                                + "(about %d MiB of history offered); held %d MiB of a %d MiB budget; /health worst %d ms%n",
                        rooms.get(), messages.get(), MemoryBudget.ofText(2 * HEAVY.length()), ATTACK, addresses,
                        heldHistory / MIB, duplex.budget().used() / MIB, total / MIB, health.worstMillis.get());
                assertTrue(heldHistory > 2 * total, "the attack offered more than the budget: " + heldHistory);
            }
            // The budget held, and so did the heap: eviction keeps the history under the total.
            await().atMost(Duration.ofSeconds(20)).until(() -> duplex.budget().used() <= total);
            for (int a = 0; a < addresses; a++) {
                assertTrue(duplex.budget().used(address(a).getHostAddress()) <= perAddress,
                        "each address within its share: " + duplex.budget().used(address(a).getHostAddress()));
                assertTrue(duplex.rooms().createdBy(address(a).getHostAddress()) <= 100, "rooms per address are capped");
            }
            long grown = heapAfterGc() - baseline;
            assertTrue(grown < total + 64 * MIB, "heap after GC grew by " + grown / MIB + " MiB, budget " + total / MIB + " MiB");
        }
    }

    @Test
    void oneAddressCannotLockOthersOutOfNewRooms() {
        try (TomcatServer server = ServerUnderTest.tomcat(Map.of(
                "duplex.chat.max-rooms", "30",
                "duplex.chat.max-rooms-per-address", "12"))) {
            Duplex duplex = server.duplex();
            // Each visit leaves an empty room behind, lingering for ten minutes.
            for (int a = 0; a < 3; a++) {
                for (int n = 0; n < 15; n++) {
                    URI uri = server.ws("chat/lock" + a + "r" + n);
                    try (RawWebSocket ws = RawWebSocket.connect(uri, address(10 + a))) {
                        assertEquals(101, ws.handshake(uri, Map.of()).status());
                        RawWebSocket.Frame first = ws.readFrame();
                        if (n < 12) {
                            assertTrue(first.text().startsWith("{\"type\":\"welcome\""), first.text());
                            ws.sendClose(1000);
                            ws.awaitClose();
                        } else {
                            assertEquals(RawWebSocket.CLOSE, first.opcode(), "room " + n + " of one address");
                            assertEquals(1013, first.closeCode());
                            assertEquals("too many rooms created from your address", first.closeReason());
                        }
                    }
                }
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> duplex.rooms().occupied() == 0);
            assertEquals(30, duplex.rooms().count(), "36 rooms made, at most 30 kept");
            jakarta.json.JsonObject health = duplex.health().check().json();
            assertEquals(0, health.getInt("rooms"));
            assertEquals(30, health.getInt("lingeringRooms"), "/health counts the lingering rooms too");
            // Someone else can still start a room: it takes the place of the longest-empty one.
            try (WsClient newcomer = WsClient.connect(server.ws("chat/fresh?name=Newcomer"))) {
                assertTrue(newcomer.nextText().startsWith("{\"type\":\"welcome\""));
            }
        }
    }

    @Test
    void unfinishedEchoMessagesAreBoundedPerAddressAndInAll() throws Exception {
        long perAddress = 8 * MIB;
        long total = 20 * MIB;
        try (TomcatServer server = ServerUnderTest.tomcat(Map.of(
                "duplex.memory.total", String.valueOf(total),
                "duplex.memory.per-address", String.valueOf(perAddress)))) {
            Duplex duplex = server.duplex();
            long baseline = heapAfterGc();
            byte[] part = new byte[1_040_000];
            Map<Integer, AtomicInteger> closes = new ConcurrentHashMap<>();
            List<RawWebSocket> holding = java.util.Collections.synchronizedList(new ArrayList<>());
            ExecutorService clients = Executors.newFixedThreadPool(32);
            // One address alone first (it meets its own share), then two together (they meet the total).
            for (List<Integer> phase : List.of(List.of(20), List.of(21, 22))) {
                List<Future<?>> sent = new ArrayList<>();
                for (int host : phase) {
                    for (int c = 0; c < 100; c++) { // the most connections one address may have
                        sent.add(clients.submit(() -> {
                            URI uri = server.ws("echo");
                            RawWebSocket ws = RawWebSocket.connect(uri, address(host));
                            assertEquals(101, ws.handshake(uri, Map.of()).status());
                            ws.frame(false, 0, RawWebSocket.BINARY, part, true); // the first part, and never the last
                            holding.add(ws);
                            return null;
                        }));
                    }
                }
                for (Future<?> f : sent) {
                    f.get(60, TimeUnit.SECONDS);
                }
            }
            // Every connection either holds its part (charged) or was closed for the budget.
            List<Future<?>> reads = new ArrayList<>();
            for (RawWebSocket ws : holding) {
                reads.add(clients.submit(() -> {
                    try {
                        RawWebSocket.Frame close = ws.readFrame(Duration.ofMillis(500));
                        if (close != null && close.opcode() == RawWebSocket.CLOSE) {
                            closes.computeIfAbsent(close.closeCode(), k -> new AtomicInteger()).incrementAndGet();
                        }
                    } catch (AssertionError nothingYet) {
                        closes.computeIfAbsent(0, k -> new AtomicInteger()).incrementAndGet(); // still holding its part
                    }
                    return null;
                }));
            }
            for (Future<?> f : reads) {
                f.get(60, TimeUnit.SECONDS);
            }
            long grown = heapAfterGc() - baseline;
            System.out.printf("[budget] 300 unfinished 1,040,000-byte echo messages from 3 addresses: closes by code %s (0: holding), "
                    + "held %d MiB of %d MiB, heap after GC +%d MiB%n", closes, duplex.budget().used() / MIB, total / MIB, grown / MIB);
            assertTrue(duplex.budget().used() <= total, "held " + duplex.budget().used());
            assertTrue(closes.getOrDefault(1008, new AtomicInteger()).get() > 0, "closed for the address's share: " + closes);
            assertTrue(closes.getOrDefault(1013, new AtomicInteger()).get() > 0, "closed for the server's budget: " + closes);
            assertTrue(grown < total + 48 * MIB, "heap after GC grew by " + grown / MIB + " MiB");
            // A well-behaved client from another address is served meanwhile, and so is one of the
            // three once it has given its parts back.
            try (WsClient echo = WsClient.connect(server.ws("echo"))) {
                echo.send("still here");
                assertEquals("still here", echo.nextText());
            }
            for (RawWebSocket ws : holding) {
                ws.close();
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> duplex.budget().used() == 0);
            clients.shutdown();
        }
    }

    @Test
    void nonReadingPingFloodersDoNotStopTheSharedScheduler() throws Exception {
        try (TomcatServer server = ServerUnderTest.tomcat(Map.of(
                "duplex.ping-interval", "1s",
                "duplex.stats.interval", "200ms"))) {
            List<RawWebSocket> flooders = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                URI uri = server.ws("echo");
                RawWebSocket ws = RawWebSocket.connect(uri, address(40 + i % 5), 4096);
                assertEquals(101, ws.handshake(uri, Map.of()).status());
                flooders.add(ws);
            }
            // Pings, a hundred to a write, and never a read: the server's pongs fill the way back,
            // and its own pings then meet a full socket.
            byte[] ping = RawWebSocket.encode(true, 0, RawWebSocket.PING, new byte[125], true, 125);
            byte[] burst = new byte[ping.length * 100];
            for (int i = 0; i < 100; i++) {
                System.arraycopy(ping, 0, burst, i * ping.length, ping.length);
            }
            AtomicBoolean flooding = new AtomicBoolean(true);
            ExecutorService floods = Executors.newFixedThreadPool(50);
            for (RawWebSocket ws : flooders) {
                floods.submit(() -> {
                    while (flooding.get() && ws.writeRaw(burst)) {
                        // until the server stops reading or drops the connection
                    }
                });
            }
            long worstGap = 0;
            long bystanderMillis;
            try (WsClient stats = WsClient.connect(server.ws("stats"))) {
                stats.nextText();
                long last = System.nanoTime();
                long end = last + TimeUnit.SECONDS.toNanos(12);
                while (System.nanoTime() < end) {
                    stats.nextText();
                    long now = System.nanoTime();
                    worstGap = Math.max(worstGap, now - last);
                    last = now;
                }
                try (WsClient echo = WsClient.connect(server.ws("echo"))) {
                    long started = System.nanoTime();
                    echo.send("bystander");
                    assertEquals("bystander", echo.nextText());
                    bystanderMillis = (System.nanoTime() - started) / 1_000_000;
                }
            } finally {
                flooding.set(false);
                floods.shutdownNow();
                for (RawWebSocket ws : flooders) {
                    ws.close();
                }
            }
            System.out.printf("[budget] 50 non-reading ping flooders: worst gap between /stats snapshots %d ms, "
                    + "a bystander's echo afterwards %d ms%n", worstGap / 1_000_000, bystanderMillis);
            assertTrue(bystanderMillis < 2000, "a bystander's echo took " + bystanderMillis + " ms");
            assertTrue(worstGap < TimeUnit.SECONDS.toNanos(2), "a /stats gap of " + worstGap / 1_000_000 + " ms");
        }
    }
}
