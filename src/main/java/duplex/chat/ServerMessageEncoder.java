package duplex.chat;

import duplex.protocol.Jsons;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonBuilderFactory;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.websocket.Encoder;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * {@link ServerMessage} to JSON text. The room calls {@link #toJson} once per broadcast and hands
 * the same text to every member's outbox; the container may use the encoder too
 * ({@code sendObject}), with the same result.
 */
public final class ServerMessageEncoder implements Encoder.Text<ServerMessage> {

    /** Looked up once: {@code Json.createObjectBuilder()} searches for the provider on every call. */
    private static final JsonBuilderFactory JSON = Jsons.createBuilderFactory(Map.of());

    /** Always three fraction digits, as in {@code 2026-11-21T22:40:30.120Z} ({@link Instant#toString} drops zeros). */
    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    @Override
    public String encode(ServerMessage message) {
        return toJson(message);
    }

    public static String toJson(ServerMessage message) {
        return object(message).toString();
    }

    static JsonObject object(ServerMessage message) {
        // Java 17 has no pattern switch yet; the sealed interface keeps this list complete.
        if (message instanceof ServerMessage.Message m) {
            return message(m);
        }
        if (message instanceof ServerMessage.Welcome w) {
            return welcome(w);
        }
        if (message instanceof ServerMessage.Joined j) {
            return typed("joined").add("member", member(j.member())).build();
        }
        if (message instanceof ServerMessage.Left l) {
            return typed("left").add("member", member(l.member())).build();
        }
        if (message instanceof ServerMessage.Renamed r) {
            return typed("renamed").add("member", member(r.member())).add("previous", r.previous()).build();
        }
        if (message instanceof ServerMessage.Presence p) {
            return presence(p);
        }
        ServerMessage.Error e = (ServerMessage.Error) message;
        return typed("error").add("code", e.error().code().wire()).add("message", e.error().message()).build();
    }

    public static String timestamp(Instant instant) {
        return TIMESTAMP.format(instant);
    }

    /** One member as JSON text, as it appears in every message that names it. */
    static String memberJson(Member member) {
        return member(member).toString();
    }

    /**
     * A welcome as text, from members and messages already written as JSON: a large room's
     * welcome is mostly those, and writing them again for each of a thousand members who join at
     * once kept the room's lock (and every container thread waiting for it) busy. The same JSON as
     * {@link #toJson} of the {@link ServerMessage.Welcome}.
     *
     * @param historyJson each message of the history as {@link #toJson} wrote it
     */
    static String welcome(String room, Member you, List<Member> members, List<String> historyJson, Boolean recovered,
                          Function<Member, String> memberJson) {
        StringBuilder out = new StringBuilder(128 + 64 * members.size() + historyJson.stream().mapToInt(String::length).sum());
        out.append("{\"type\":\"welcome\",\"room\":").append(Jsons.createValue(room).toString())
                .append(",\"you\":").append(memberJson.apply(you))
                .append(",\"members\":[");
        String separator = "";
        for (Member member : members) {
            out.append(separator).append(memberJson.apply(member));
            separator = ",";
        }
        out.append("],\"history\":[").append(String.join(",", historyJson)).append(']');
        if (recovered != null) {
            out.append(",\"recovered\":").append(recovered.booleanValue());
        }
        return out.append('}').toString();
    }

    private static JsonObject welcome(ServerMessage.Welcome welcome) {
        JsonArrayBuilder members = JSON.createArrayBuilder();
        welcome.members().forEach(m -> members.add(member(m)));
        JsonArrayBuilder history = JSON.createArrayBuilder();
        welcome.history().forEach(m -> history.add(message(m)));
        JsonObjectBuilder json = typed("welcome")
                .add("room", welcome.room())
                .add("you", member(welcome.you()))
                .add("members", members)
                .add("history", history);
        if (welcome.recovered() != null) {
            json.add("recovered", welcome.recovered());
        }
        return json.build();
    }

    private static JsonObject presence(ServerMessage.Presence presence) {
        JsonArrayBuilder joined = JSON.createArrayBuilder();
        presence.joined().forEach(m -> joined.add(member(m)));
        JsonArrayBuilder renamed = JSON.createArrayBuilder();
        presence.renamed().forEach(r -> renamed.add(JSON.createObjectBuilder().add("member", member(r.member())).add("previous", r.previous())));
        JsonArrayBuilder left = JSON.createArrayBuilder();
        presence.left().forEach(m -> left.add(member(m)));
        return typed("presence").add("joined", joined).add("renamed", renamed).add("left", left).build();
    }

    private static JsonObject message(ServerMessage.Message message) {
        return typed("message")
                .add("room", message.room())
                .add("seq", message.seq())
                .add("from", member(message.from()))
                .add("text", message.text())
                .add("ts", timestamp(message.ts()))
                .build();
    }

    private static JsonObject member(Member member) {
        JsonObjectBuilder json = JSON.createObjectBuilder().add("id", member.id()).add("name", member.name());
        if (member.verified()) {
            // The name is the user's container login (see ChatEndpoint): others can trust it.
            json.add("verified", true);
        }
        return json.build();
    }

    private static JsonObjectBuilder typed(String type) {
        return JSON.createObjectBuilder().add("type", type);
    }
}
