package duplex.chat;

import duplex.bus.Member;
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

/**
 * {@link ServerMessage} to JSON text. The room calls {@link #toJson} once per broadcast and hands
 * the same text to every member's outbox.
 *
 * <p>Not registered on the endpoint, on purpose: nothing is sent with {@code sendObject}. Every
 * send goes through the connection's outbox as a frame already encoded (bounded, one send in
 * flight, the bytes made once per broadcast rather than once per member), so the container
 * never has a message to encode. The {@code Encoder.Text} contract is kept, so that the mapping
 * is the standard one for code that does hand it to a container.
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
        if (message instanceof ServerMessage.Members m) {
            return members(m);
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
     * @param membersJson each member as {@link #memberJson} wrote it
     * @param historyJson each message of the history as {@link #toJson} wrote it
     */
    static String welcome(String room, String epoch, String youJson, List<String> membersJson, int memberCount, Long more,
                          List<String> historyJson, Boolean recovered) {
        StringBuilder out = new StringBuilder(160 + length(membersJson) + length(historyJson));
        out.append("{\"type\":\"welcome\",\"room\":").append(Jsons.createValue(room).toString())
                .append(",\"epoch\":").append(Jsons.createValue(epoch).toString())
                .append(",\"you\":").append(youJson);
        appendMembers(out, membersJson, memberCount, more);
        out.append(",\"history\":[");
        appendAll(out, historyJson);
        out.append(']');
        if (recovered != null) {
            out.append(",\"recovered\":").append(recovered.booleanValue());
        }
        return out.append('}').toString();
    }

    /** A page of members as text, from members already written as JSON; the same JSON as {@link #toJson}. */
    static String members(List<String> membersJson, int memberCount, Long more) {
        StringBuilder out = new StringBuilder(80 + length(membersJson)).append("{\"type\":\"members\"");
        appendMembers(out, membersJson, memberCount, more);
        return out.append('}').toString();
    }

    private static void appendMembers(StringBuilder out, List<String> membersJson, int memberCount, Long more) {
        out.append(",\"members\":[");
        appendAll(out, membersJson);
        out.append("],\"memberCount\":").append(memberCount);
        if (more != null) {
            out.append(",\"more\":").append(more.longValue());
        }
    }

    private static void appendAll(StringBuilder out, List<String> json) {
        for (int i = 0; i < json.size(); i++) {
            out.append(i == 0 ? "" : ",").append(json.get(i));
        }
    }

    private static int length(List<String> parts) {
        int length = 0;
        for (String part : parts) {
            length += part.length() + 1;
        }
        return length;
    }

    private static JsonObject welcome(ServerMessage.Welcome welcome) {
        JsonObjectBuilder json = typed("welcome")
                .add("room", welcome.room())
                .add("epoch", welcome.epoch())
                .add("you", member(welcome.you()))
                .add("members", memberArray(welcome.members()))
                .add("memberCount", welcome.memberCount());
        if (welcome.more() != null) {
            json.add("more", welcome.more());
        }
        JsonArrayBuilder history = JSON.createArrayBuilder();
        welcome.history().forEach(m -> history.add(message(m)));
        json.add("history", history);
        if (welcome.recovered() != null) {
            json.add("recovered", welcome.recovered());
        }
        return json.build();
    }

    private static JsonObject members(ServerMessage.Members page) {
        JsonObjectBuilder json = typed("members").add("members", memberArray(page.members())).add("memberCount", page.memberCount());
        if (page.more() != null) {
            json.add("more", page.more());
        }
        return json.build();
    }

    private static JsonArrayBuilder memberArray(List<Member> members) {
        JsonArrayBuilder array = JSON.createArrayBuilder();
        members.forEach(m -> array.add(member(m)));
        return array;
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
