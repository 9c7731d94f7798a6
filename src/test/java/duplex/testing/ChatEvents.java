package duplex.testing;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;

/**
 * What a chat client makes of its frames, one change at a time: a {@code presence} message (the
 * changes of one tick) is applied in its documented order, joined, renamed, left, and comes out
 * as {@code {"type":"joined","member":...}}, {@code {"type":"renamed","member":...,"previous":...}},
 * {@code {"type":"left","member":...}}, as the page shows them: a join of someone already known
 * (from the welcome or a page of members, or oneself) and a leave of someone unknown change nothing and are left out.
 * Any other frame is itself. One instance per connection; not thread-safe.
 */
public final class ChatEvents {

    private final java.util.Set<String> known = new java.util.HashSet<>();

    /** The changes in one frame, in order. */
    public List<JsonObject> of(String text) {
        JsonObject message = parse(text);
        String type = message.getString("type", "");
        if (type.equals("welcome")) {
            known.clear();
            message.getJsonArray("members").forEach(m -> known.add(m.asJsonObject().getString("id")));
            known.add(message.getJsonObject("you").getString("id"));
        }
        if (type.equals("members")) {
            message.getJsonArray("members").forEach(m -> known.add(m.asJsonObject().getString("id")));
        }
        if (!type.equals("presence")) {
            return List.of(message);
        }
        List<JsonObject> events = new ArrayList<>();
        for (JsonValue joined : message.getJsonArray("joined")) {
            JsonObject member = joined.asJsonObject();
            if (known.add(member.getString("id"))) {
                events.add(Json.createObjectBuilder().add("type", "joined").add("member", member).build());
            }
        }
        for (JsonValue renamed : message.getJsonArray("renamed")) {
            JsonObject r = renamed.asJsonObject();
            events.add(Json.createObjectBuilder().add("type", "renamed").add("member", r.getJsonObject("member"))
                    .add("previous", r.getString("previous")).build());
        }
        for (JsonValue left : message.getJsonArray("left")) {
            JsonObject member = left.asJsonObject();
            if (known.remove(member.getString("id"))) {
                events.add(Json.createObjectBuilder().add("type", "left").add("member", member).build());
            }
        }
        return events;
    }

    /** Reads one member's connection change by change. */
    public static final class Reader {
        private final WsClient ws;
        private final ChatEvents events = new ChatEvents();
        private final java.util.ArrayDeque<JsonObject> pending = new java.util.ArrayDeque<>();

        public Reader(WsClient ws) {
            this.ws = ws;
        }

        public JsonObject next() {
            while (pending.isEmpty()) {
                pending.addAll(events.of(ws.nextText()));
            }
            return pending.removeFirst();
        }
    }

    public static JsonObject parse(String text) {
        try (JsonReader reader = Json.createReader(new StringReader(text))) {
            return reader.readObject();
        }
    }
}
