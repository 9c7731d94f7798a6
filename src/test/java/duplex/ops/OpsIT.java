package duplex.ops;

import duplex.testing.Scrape;
import duplex.testing.ServerUnderTest;
import duplex.testing.TomcatServer;
import duplex.testing.WsClient;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Metrics under a scripted session, /health, and the connection logs, with settings of their own
 * (a small outbox, so a slow consumer is quick to make): the WAR in an embedded Tomcat 11, driven
 * over real sockets. {@link OperationsIT} covers the same servlets with default settings,
 * deployed servers included.
 */
class OpsIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(WsClient.TIMEOUT).build();
    private static final Duration AWAIT = WsClient.TIMEOUT;
    private static final int OUTBOX_BYTES = 64 * 1024;

    private static TomcatServer server;

    @BeforeAll
    static void start() {
        server = ServerUnderTest.tomcat(Map.of(
                "duplex.outbox.max-bytes", String.valueOf(OUTBOX_BYTES),
                "duplex.send-timeout", "2s"));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static HttpResponse<String> get(URI uri, String accept) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(AWAIT);
        if (accept != null) {
            request.header("Accept", accept);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject health() throws Exception {
        HttpResponse<String> response = get(server.http("health"), null);
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        return Json.createReader(new StringReader(response.body())).readObject();
    }

    private static Scrape scrape() {
        try {
            HttpResponse<String> response = get(server.http("metrics"), "text/plain");
            assertEquals(200, response.statusCode());
            String contentType = response.headers().firstValue("Content-Type").orElse("").replace(" ", "");
            assertTrue(contentType.startsWith("text/plain;version=0.0.4"), contentType);
            return Scrape.parse(response.body());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static double echo(Scrape scrape, String family, String... labels) {
        String[] all = new String[labels.length + 2];
        all[0] = "endpoint";
        all[1] = "echo";
        System.arraycopy(labels, 0, all, 2, labels.length);
        return scrape.valueOrZero(family, all);
    }

    private static void awaitMetric(String description, Predicate<Scrape> condition) {
        await(description).atMost(AWAIT).pollInterval(Duration.ofMillis(100)).until(() -> condition.test(scrape()));
    }

    @Test
    void healthIsUpAndCountsConnectionsPerEndpoint() throws Exception {
        JsonObject before = health();
        assertEquals("UP", before.getString("status"));
        assertEquals("local", before.getJsonObject("bus").getString("type"));
        int echoBefore = before.getJsonObject("connections").getInt("echo");
        try (WsClient a = WsClient.connect(server.ws("echo")); WsClient b = WsClient.connect(server.ws("echo"))) {
            await().atMost(AWAIT).until(() -> health().getJsonObject("connections").getInt("echo") == echoBefore + 2);
            assertTrue(health().getInt("connectionsTotal") >= 2);
        }
        await().atMost(AWAIT).until(() -> health().getJsonObject("connections").getInt("echo") == echoBefore);
    }

    @Test
    void metricsFollowAScriptedSession() throws Exception {
        Scrape before = scrape();
        // connect and send: three messages each way
        try (WsClient talker = WsClient.connect(server.ws("echo"), "echo")) {
            awaitMetric("the session counted open", s -> echo(s, "duplex_sessions_open") == echo(before, "duplex_sessions_open") + 1);
            for (String text : List.of("one", "two", "three")) {
                talker.send(text);
                assertEquals(text, talker.nextText());
            }
            awaitMetric("three messages each way", s -> echo(s, "duplex_messages_sent_total") == echo(before, "duplex_messages_sent_total") + 3);
            Scrape talked = scrape();
            assertEquals(echo(before, "duplex_messages_received_total") + 3, echo(talked, "duplex_messages_received_total"));
            assertEquals(echo(before, "duplex_received_bytes_total") + 11, echo(talked, "duplex_received_bytes_total"));
            assertEquals(echo(before, "duplex_sent_bytes_total") + 11, echo(talked, "duplex_sent_bytes_total"));

            // an error: a message past the limit closes its connection with 1009
            try (WsClient offender = WsClient.connect(server.ws("echo"))) {
                offender.send("x".repeat(65_537));
                assertEquals(1009, offender.awaitClose().code());
            }
            awaitMetric("the 1009 close counted", s -> echo(s, "duplex_closes_total", "code", "1009") == echo(before, "duplex_closes_total", "code", "1009") + 1);

            // a slow consumer: stops reading while its echoes pile up past the outbox bound
            try (WsClient stalled = WsClient.connect(server.ws("echo"))) {
                stalled.stopReading();
                String chunk = "s".repeat(16 * 1024);
                double slowBefore = echo(before, "duplex_slow_consumers_total");
                for (int i = 0; i < 4000 && echo(scrape(), "duplex_slow_consumers_total") == slowBefore; i++) {
                    try {
                        for (int j = 0; j < 25; j++) {
                            stalled.send(chunk);
                        }
                    } catch (RuntimeException closedMeanwhile) {
                        break;
                    }
                }
                awaitMetric("the slow consumer counted", s -> echo(s, "duplex_slow_consumers_total") == slowBefore + 1);
            }
            awaitMetric("the slow consumer's 1008 close counted",
                    s -> echo(s, "duplex_closes_total", "code", "1008") == echo(before, "duplex_closes_total", "code", "1008") + 1);

            // close normally
            talker.close(1000, "done");
            assertEquals(1000, talker.awaitClose().code());
        }
        awaitMetric("every session closed", s -> echo(s, "duplex_sessions_open") == echo(before, "duplex_sessions_open"));
        Scrape after = scrape();
        assertEquals(echo(before, "duplex_sessions_opened_total") + 3, echo(after, "duplex_sessions_opened_total"));
        assertEquals(echo(before, "duplex_closes_total", "code", "1000") + 1, echo(after, "duplex_closes_total", "code", "1000"));
        assertTrue(after.value("jvm_threads_live_threads") > 0, "JVM thread metrics are served");
        assertTrue(after.value("jvm_classes_loaded_classes") > 0, "JVM class metrics are served");
        assertTrue(after.sum("jvm_memory_used_bytes", "area", "heap") > 0, "JVM memory metrics are served");
    }

    @Test
    void aClientThatVanishesIsOneCloseLineAndNoStackTrace() {
        List<LogRecord> records;
        try (duplex.testing.LogCapture log = new duplex.testing.LogCapture("duplex.connection.Connections")) {
            WsClient client = WsClient.connect(server.ws("echo"));
            client.send("about to vanish");
            assertEquals("about to vanish", client.nextText());
            client.socket().abort(); // the TCP connection is dropped: no close frame, as when a network dies
            await().atMost(AWAIT).until(() -> log.records().stream().anyMatch(r -> r.getMessage().contains(" closed: ")));
            records = log.records();
        }
        SimpleFormatter formatter = new SimpleFormatter();
        String closed = records.stream().map(formatter::formatMessage).filter(m -> m.contains(" closed: ")).findFirst().orElseThrow();
        assertTrue(closed.matches("echo session \\S+ from 127\\.0\\.0\\.1 closed: 1006 .*"), closed);
        assertTrue(records.stream().noneMatch(r -> r.getThrown() != null),
                "no stack trace for a client that went away: " + records.stream().filter(r -> r.getThrown() != null)
                        .map(r -> r.getLoggerName() + ": " + r.getThrown()).toList());
        assertTrue(records.stream().noneMatch(r -> r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()),
                "nothing at WARNING or above: " + records.stream().map(formatter::formatMessage).toList());
    }

    @Test
    void openAndCloseAreLoggedWithSessionEndpointAddressAndCode() {
        List<String> lines = new CopyOnWriteArrayList<>();
        SimpleFormatter formatter = new SimpleFormatter();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                lines.add(formatter.formatMessage(record));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger logger = Logger.getLogger("duplex.connection.Connections");
        java.util.logging.Level quietInTests = logger.getLevel();
        logger.setLevel(java.util.logging.Level.INFO); // the default level in production
        logger.addHandler(capture);
        try (WsClient client = WsClient.connect(server.ws("echo"), "echo")) {
            client.send("not logged");
            assertEquals("not logged", client.nextText());
            client.close(1000, "bye now");
            client.awaitClose();
            await().atMost(AWAIT).until(() -> lines.stream().anyMatch(l -> l.contains("closed: 1000 \"bye now\"")));
        } finally {
            logger.removeHandler(capture);
            logger.setLevel(quietInTests);
        }
        String opened = lines.stream().filter(l -> l.contains(" opened ")).findFirst().orElseThrow();
        assertTrue(opened.matches("echo session \\S+ opened from 127\\.0\\.0\\.1, subprotocol echo"), opened);
        String id = opened.split(" ")[2];
        String closed = lines.stream().filter(l -> l.contains(" closed: ")).findFirst().orElseThrow();
        assertTrue(closed.startsWith("echo session " + id + " from 127.0.0.1 closed: 1000 \"bye now\" after "), closed);
        assertTrue(lines.stream().noneMatch(l -> l.contains("not logged")), "nothing per message: " + lines);
        assertEquals(2, lines.size(), "one line at open, one at close: " + lines);
    }
}
