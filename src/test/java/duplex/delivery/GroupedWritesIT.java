package duplex.delivery;

import duplex.testing.Scrape;
import duplex.testing.ServerUnderTest;
import duplex.testing.SilentPeer;
import duplex.testing.WarServer;
import duplex.testing.WsClient;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Group commit on a real Tomcat ({@link TomcatWire}): a sender as fast as its socket goes into a
 * room with readers and peers that never read. Every reader gets every accepted message once and
 * in order, and the server wrote them in fewer socket writes than messages: frames that waited
 * together went out together. With the knob off, one write per message, the same messages.
 */
class GroupedWritesIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int MESSAGES = 1500;
    private static final int READERS = 20;

    private static final Map<String, String> UNLIMITED = Map.of(
            "DUPLEX_RATE_LIMIT_PER_SECOND", "1000000", "DUPLEX_RATE_LIMIT_BURST", "1000000",
            "DUPLEX_RATE_LIMIT_PER_ADDRESS", "10000000", "DUPLEX_OUTBOX_MAX_MESSAGES", "5000",
            "DUPLEX_MEMORY_PER_ADDRESS", "1073741824", "DUPLEX_MEMORY_TOTAL", "1073741824");

    @Test
    void framesWaitingTogetherGoOutInOneWriteAndInOrder() throws Exception {
        Map<String, Double> figures = overload(UNLIMITED);
        assertTrue(figures.get("writes") < 0.9 * figures.get("sent"),
                "grouped: " + figures.get("writes") + " writes for " + figures.get("sent") + " messages");
    }

    @Test
    void withTheKnobOffEveryMessageHasItsOwnWrite() throws Exception {
        Map<String, String> knobs = new java.util.HashMap<>(UNLIMITED);
        knobs.put("DUPLEX_GROUPED_WRITES", "off");
        Map<String, Double> figures = overload(knobs);
        assertEquals(figures.get("sent"), figures.get("writes"), "one write per message");
    }

    /** Runs the overload on a fresh Tomcat; returns the chat endpoint's messages sent and writes. */
    private static Map<String, Double> overload(Map<String, String> knobs) throws Exception {
        try (WarServer tomcat = ServerUnderTest.war("grouped-writes", knobs)) {
            List<WsClient> readers = new ArrayList<>();
            List<SilentPeer> stalled = new ArrayList<>();
            WsClient sender = join(tomcat, "Sender");
            try {
                for (int i = 0; i < READERS; i++) {
                    readers.add(join(tomcat, "Reader" + i));
                }
                for (int i = 0; i < 3; i++) {
                    stalled.add(SilentPeer.connect(tomcat.ws("chat/grouped?name=Stalled" + i)));
                }
                String padding = "p".repeat(200);
                for (int m = 1; m <= MESSAGES; m++) {
                    sender.send("{\"type\":\"say\",\"text\":\"" + m + " " + padding + "\"}");
                }
                // What the room accepted: the sender hears each of its messages back, with its seq.
                List<Long> accepted = seqs(sender, MESSAGES);
                long first = accepted.get(0);
                List<Long> expected = LongStream.range(first, first + MESSAGES).boxed().toList();
                assertEquals(expected, accepted, "the sender's own messages, in order");
                for (WsClient reader : readers) {
                    assertEquals(expected, seqs(reader, MESSAGES), "a reader that kept up got every accepted message, once, in order");
                }
                // Read once the counters stand still (the last presence ticks may still be going out).
                double[] last = {-1, -1};
                Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300)).until(() -> {
                    Scrape scrape = Scrape.parse(HTTP.send(HttpRequest.newBuilder(tomcat.http("metrics")).build(), HttpResponse.BodyHandlers.ofString()).body());
                    double sent = scrape.value("duplex_messages_sent_total", "endpoint", "chat");
                    double writes = scrape.value("duplex_writes_total", "endpoint", "chat");
                    boolean still = sent == last[0] && writes == last[1];
                    last[0] = sent;
                    last[1] = writes;
                    return still;
                });
                return Map.of("sent", last[0], "writes", last[1]);
            } finally {
                sender.close();
                readers.forEach(WsClient::close);
                for (SilentPeer peer : stalled) {
                    peer.close();
                }
            }
        }
    }

    private static WsClient join(WarServer tomcat, String name) {
        WsClient ws = WsClient.connect(tomcat.ws("chat/grouped?name=" + name));
        while (!parse(ws.nextText()).getString("type").equals("welcome")) {
            // presence of earlier members may come first on a reconnect; not here, but harmless
        }
        return ws;
    }

    /** The seqs of the next {@code n} chat messages, other types skipped. */
    private static List<Long> seqs(WsClient ws, int n) {
        List<Long> seqs = new ArrayList<>(n);
        while (seqs.size() < n) {
            JsonObject next = parse(ws.nextText());
            if (next.getString("type").equals("message")) {
                seqs.add(next.getJsonNumber("seq").longValue());
            }
        }
        return seqs;
    }

    private static JsonObject parse(String text) {
        try (JsonReader reader = Json.createReader(new StringReader(text))) {
            return reader.readObject();
        }
    }
}
