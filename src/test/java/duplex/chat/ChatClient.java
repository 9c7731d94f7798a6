package duplex.chat;

import duplex.testing.ServerUnderTest;
import duplex.testing.WsClient;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;

import java.io.StringReader;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A chat member for tests: a {@link WsClient} that speaks the chat JSON. */
final class ChatClient implements AutoCloseable {

    final WsClient ws;
    /** Set from the welcome. */
    JsonObject welcome;
    /** The rest of a presence message already read, one change each ({@link duplex.testing.ChatEvents}). */
    private final java.util.ArrayDeque<JsonObject> pending = new java.util.ArrayDeque<>();
    private final duplex.testing.ChatEvents events = new duplex.testing.ChatEvents();

    private ChatClient(WsClient ws) {
        this.ws = ws;
    }

    /** Connects to {@code chat/ROOM?QUERY} without reading anything. */
    static ChatClient connect(ServerUnderTest server, String room, String query) {
        String path = "chat/" + room + (query == null || query.isEmpty() ? "" : "?" + query);
        return new ChatClient(WsClient.connect(server.ws(path)));
    }

    /** Joins and takes the welcome, which must be the first message. */
    static ChatClient join(ServerUnderTest server, String room, String name) {
        return joinWith(server, room, name == null ? "" : "name=" + encode(name));
    }

    static ChatClient joinWith(ServerUnderTest server, String room, String query) {
        ChatClient client = connect(server, room, query);
        JsonObject first = client.next();
        assertEquals("welcome", first.getString("type"), "the first message is the welcome: " + first);
        client.welcome = first;
        return client;
    }

    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    String id() {
        return welcome.getJsonObject("you").getString("id");
    }

    void say(String text) {
        ws.send(Json.createObjectBuilder().add("type", "say").add("text", text).build().toString());
    }

    void rename(String name) {
        ws.send(Json.createObjectBuilder().add("type", "rename").add("name", name).build().toString());
    }

    void sendRaw(String text) {
        ws.send(text);
    }

    /** The next message, parsed; fails if the connection closes instead. */
    JsonObject next() {
        while (pending.isEmpty()) {
            pending.addAll(events.of(ws.nextText()));
        }
        return pending.removeFirst();
    }

    JsonObject next(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (pending.isEmpty()) {
            WsClient.Event event = ws.next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (!(event instanceof WsClient.Text text)) {
                throw new AssertionError("expected a text message, got " + event);
            }
            pending.addAll(events.of(text.text()));
        }
        return pending.removeFirst();
    }


    /** The next message of the given type; others on the way are skipped. */
    JsonObject nextOfType(String type) {
        return nextMatching(m -> m.getString("type").equals(type), type);
    }

    JsonObject nextMatching(Predicate<JsonObject> wanted, String what) {
        long deadline = System.nanoTime() + WsClient.TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            JsonObject message = next();
            if (wanted.test(message)) {
                return message;
            }
        }
        throw new AssertionError("no " + what + " within " + WsClient.TIMEOUT);
    }

    /** The next n chat messages (type "message"), skipping presence. */
    List<JsonObject> messages(int n) {
        List<JsonObject> out = new ArrayList<>(n);
        while (out.size() < n) {
            out.add(nextOfType("message"));
        }
        return out;
    }

    static JsonObject parse(String text) {
        try (JsonReader reader = Json.createReader(new StringReader(text))) {
            return reader.readObject();
        }
    }

    @Override
    public void close() {
        ws.close();
    }
}
