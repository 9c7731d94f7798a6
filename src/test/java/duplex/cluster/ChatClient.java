package duplex.cluster;

import duplex.testing.WsClient;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;

import java.io.StringReader;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A chat member for the cluster tests: a {@link WsClient} that reads JSON and skips what a test does not ask for. */
final class ChatClient implements AutoCloseable {

    final WsClient ws;
    final JsonObject welcome;

    private ChatClient(WsClient ws) {
        this.ws = ws;
        this.welcome = nextOfType("welcome");
    }

    static ChatClient join(URI chatUri) {
        return new ChatClient(WsClient.connect(chatUri));
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

    /** The rest of a presence message already read, one change each ({@link duplex.testing.ChatEvents}). */
    private final java.util.ArrayDeque<JsonObject> pending = new java.util.ArrayDeque<>();
    private final duplex.testing.ChatEvents events = new duplex.testing.ChatEvents();

    JsonObject next() {
        while (pending.isEmpty()) {
            pending.addAll(events.of(ws.nextText()));
        }
        return pending.removeFirst();
    }


    /** The next message of this type; others are skipped. */
    JsonObject nextOfType(String type) {
        long deadline = System.nanoTime() + WsClient.TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!pending.isEmpty()) {
                JsonObject json = pending.removeFirst();
                if (json.getString("type").equals(type)) {
                    return json;
                }
                continue;
            }
            WsClient.Event event = ws.next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (event instanceof WsClient.Text text) {
                pending.addAll(events.of(text.text()));
            } else {
                throw new AssertionError("waiting for a '" + type + "', got " + event);
            }
        }
        throw new AssertionError("no '" + type + "' within " + WsClient.TIMEOUT);
    }

    /** The next {@code n} chat messages, skipping presence. */
    List<JsonObject> messages(int n) {
        List<JsonObject> out = new ArrayList<>();
        while (out.size() < n) {
            out.add(nextOfType("message"));
        }
        return out;
    }

    static String seqAndText(JsonObject message) {
        return message.getJsonNumber("seq").longValue() + " " + message.getString("text");
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
