package duplex.echo;

import duplex.testing.ServerUnderTest;
import duplex.testing.ServerUnderTestExtension;
import duplex.testing.TyrusServer;
import duplex.testing.WsClient;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * /echo over real sockets. Runs on embedded Tyrus by default, and unchanged on the server
 * -Dduplex.server names or a deployed server given -Dduplex.baseUrl (the deployment tests do
 * that), so it uses only default settings.
 */
@ExtendWith(ServerUnderTestExtension.class)
class EchoIT {

    private static final int MAX_TEXT = 65_536;
    private static final int MAX_BINARY = 1_048_576;

    private static ServerUnderTest server;

    @BeforeAll
    static void start(ServerUnderTest configured) {
        server = configured;
    }

    private static WsClient echo(String... subprotocols) {
        return WsClient.connect(server.ws("echo"), subprotocols);
    }

    @Test
    void textComesBackUnchanged() {
        try (WsClient client = echo("echo")) {
            client.send("hello");
            client.send("發送數據 🚀 ü");
            client.send("");
            assertEquals("hello", client.nextText());
            assertEquals("發送數據 🚀 ü", client.nextText());
            assertEquals("", client.nextText());
        }
    }

    @Test
    void binaryComesBackByteForByte() {
        byte[] data = new byte[70_000];
        new Random(42).nextBytes(data);
        try (WsClient client = echo("echo")) {
            client.send(data);
            client.send(new byte[] {0, (byte) 0xFF, 0x7F});
            assertArrayEquals(data, client.nextBinary());
            assertArrayEquals(new byte[] {0, (byte) 0xFF, 0x7F}, client.nextBinary());
        }
    }

    @Test
    void echoSubprotocolIsSelectedFromTheOffer() {
        try (WsClient client = echo("x.unknown", "echo")) {
            assertEquals("echo", client.subprotocol());
        }
    }

    @Test
    void clientWithoutSubprotocolStillConnects() {
        try (WsClient client = echo()) {
            assertEquals("", client.subprotocol());
            client.send("plain");
            assertEquals("plain", client.nextText());
        }
    }

    @Test
    void textAtTheLimitIsAcceptedAndOneByteMoreClosesWith1009() {
        // 3-byte characters plus ASCII padding: the limit counts UTF-8 bytes, not characters.
        String atLimit = "數".repeat(10_000) + "a".repeat(MAX_TEXT - 30_000);
        assertEquals(MAX_TEXT, atLimit.getBytes(StandardCharsets.UTF_8).length);
        try (WsClient client = echo("echo")) {
            client.send(atLimit);
            assertEquals(atLimit, client.nextText());
            client.send(atLimit + "a");
            WsClient.Closed closed = client.awaitClose();
            assertEquals(1009, closed.code());
            assertFalse(closed.reason().isEmpty(), "the close carries a reason");
        }
    }

    @Test
    void binaryAtTheLimitIsAcceptedAndOneByteMoreClosesWith1009() {
        try (WsClient client = echo("echo")) {
            client.send(new byte[MAX_BINARY]);
            assertEquals(MAX_BINARY, client.nextBinary().length);
            client.send(new byte[MAX_BINARY + 1]);
            assertEquals(1009, client.awaitClose().code());
        }
    }

    @Test
    void aTooBigMessageClosesOnlyItsOwnConnection() {
        try (WsClient bystander = echo("echo"); WsClient offender = echo("echo")) {
            offender.send("x".repeat(MAX_TEXT + 1));
            assertEquals(1009, offender.awaitClose().code());
            bystander.send("still here");
            assertEquals("still here", bystander.nextText());
        }
    }

    @Test
    void clientCloseIsAnsweredWithACloseFrame() {
        try (WsClient client = echo("echo")) {
            client.close(1000, "Closing normally");
            WsClient.Closed closed = client.awaitClose();
            assertEquals(1000, closed.code());
        }
    }

    /**
     * The number of open connections on the server, every endpoint: the embedded server's own
     * count, or a deployed server's {@code /health}.
     */
    private static int openOnServer() throws Exception {
        if (server instanceof ServerUnderTest.InJvm inJvm) {
            return inJvm.duplex().connections().count();
        }
        java.net.http.HttpResponse<String> health = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(server.http("health")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        try (jakarta.json.JsonReader reader = jakarta.json.Json.createReader(new java.io.StringReader(health.body()))) {
            return reader.readObject().getInt("connectionsTotal");
        }
    }

    @Test
    void hundredClientsEachGetTheirOwHundredMessagesBackInOrder() throws Exception {
        int clients = 100;
        int messages = 100;
        // As many connections as one address may have (duplex.max-connections-per-address): the
        // closes of the tests before must have reached the server first, or the last is refused.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> openOnServer() == 0);
        List<WsClient> connected = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int c = 0; c < clients; c++) {
                connected.add(echo("echo"));
            }
            List<Future<?>> senders = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                WsClient client = connected.get(c);
                int id = c;
                senders.add(pool.submit(() -> {
                    for (int m = 0; m < messages; m++) {
                        client.send("client " + id + " message " + m);
                    }
                }));
            }
            for (Future<?> sender : senders) {
                sender.get();
            }
            for (int c = 0; c < clients; c++) {
                for (int m = 0; m < messages; m++) {
                    assertEquals("client " + c + " message " + m, connected.get(c).nextText());
                }
                assertEquals(0, connected.get(c).backlog(), "nothing extra for client " + c);
            }
        } finally {
            pool.shutdownNow();
            connected.forEach(WsClient::close);
        }
    }

    @Test
    void pagesAreServedWhenDeployed() throws Exception {
        // Only a servlet container serves the pages; embedded Tyrus serves WebSockets alone.
        org.junit.jupiter.api.Assumptions.assumeFalse(server instanceof TyrusServer, "pages need a servlet container");
        var http = java.net.http.HttpClient.newHttpClient();
        for (String page : Arrays.asList("", "index.html", "echo.html")) {
            var response = http.send(java.net.http.HttpRequest.newBuilder(server.http(page)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), page);
            assertTrue(response.body().contains("WebSocket"), page);
            assertNull(null);
        }
    }
}
