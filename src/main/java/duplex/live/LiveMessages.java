package duplex.live;

import duplex.bus.Member;
import duplex.protocol.ErrorMessage;
import duplex.protocol.Jsons;

import java.time.Instant;
import java.util.List;

/**
 * What {@code /live} sends, as JSON text. Written by hand around the publication's data, which is
 * already JSON text (checked when it was published) and is carried as it is: parsing and writing
 * it again for every subscriber, or even once per delivery, would be the fan-out's largest cost.
 * Every string from a client goes through the JSON provider's escaping ({@link #quote}).
 */
public final class LiveMessages {

    private LiveMessages() {
    }

    /**
     * {@code {"type":"pub","channel":..,"seq":..,"epoch":..,"data":..,"ts":..,"from":{..}}}; {@code from}
     * only for what a client published (null author: the HTTP API).
     */
    public static String pub(String channel, long seq, String epoch, String data, Instant ts, Member from) {
        StringBuilder out = new StringBuilder(96 + data.length());
        out.append("{\"type\":\"pub\",\"channel\":").append(quote(channel))
                .append(",\"seq\":").append(seq)
                .append(",\"epoch\":").append(quote(epoch))
                .append(",\"data\":").append(data)
                .append(",\"ts\":").append(quote(ts.toString()));
        if (from != null) {
            out.append(",\"from\":{\"id\":").append(quote(from.id()));
            if (from.verified()) {
                out.append(",\"user\":").append(quote(from.name()));
            }
            out.append('}');
        }
        return out.append('}').toString();
    }

    /** @param recovered null when the client sent no {@code since} */
    public static String subscribed(String channel, String epoch, long seq, List<String> history, Boolean recovered) {
        int size = 96;
        for (String pub : history) {
            size += pub.length() + 1;
        }
        StringBuilder out = new StringBuilder(size);
        out.append("{\"type\":\"subscribed\",\"channel\":").append(quote(channel))
                .append(",\"epoch\":").append(quote(epoch))
                .append(",\"seq\":").append(seq)
                .append(",\"history\":[");
        for (int i = 0; i < history.size(); i++) {
            out.append(i == 0 ? "" : ",").append(history.get(i));
        }
        out.append(']');
        if (recovered != null) {
            out.append(",\"recovered\":").append(recovered);
        }
        return out.append('}').toString();
    }

    /** A {@code subscribed} answer with {@code "members"} (at most {@code listed}) and {@code "memberCount"}. */
    static String withMembers(String subscribed, List<Member> members, int listed) {
        StringBuilder out = new StringBuilder(subscribed.length() + 40 * Math.min(listed, members.size()) + 32);
        out.append(subscribed, 0, subscribed.length() - 1).append(",\"members\":");
        appendMembers(out, members.subList(0, Math.min(listed, members.size())));
        return out.append(",\"memberCount\":").append(members.size()).append('}').toString();
    }

    /** {@code {"type":"presence","channel":..,"joined":[{"id":..,"user":..}],"left":[..]}}. */
    public static String presence(String channel, List<Member> joined, List<Member> left) {
        StringBuilder out = new StringBuilder(64 + 40 * (joined.size() + left.size()));
        out.append("{\"type\":\"presence\",\"channel\":").append(quote(channel)).append(",\"joined\":");
        appendMembers(out, joined);
        out.append(",\"left\":");
        appendMembers(out, left);
        return out.append('}').toString();
    }

    private static void appendMembers(StringBuilder out, List<Member> members) {
        out.append('[');
        for (int i = 0; i < members.size(); i++) {
            Member m = members.get(i);
            out.append(i == 0 ? "" : ",").append("{\"id\":").append(quote(m.id()));
            if (m.verified()) {
                out.append(",\"user\":").append(quote(m.name()));
            }
            out.append('}');
        }
        out.append(']');
    }

    public static String unsubscribed(String channel) {
        return "{\"type\":\"unsubscribed\",\"channel\":" + quote(channel) + "}";
    }

    /** @param id the publish's id, or null */
    public static String ack(String id, long seq, String epoch) {
        return "{\"type\":\"ack\"" + (id == null ? "" : ",\"id\":" + quote(id)) + ",\"seq\":" + seq
                + ",\"epoch\":" + quote(epoch) + "}";
    }

    /** The shared {@code error} message, with the request's {@code id} and {@code channel} when it had them. */
    public static String error(ErrorMessage error, String id, String channel) {
        var json = Jsons.createObjectBuilder()
                .add("type", "error")
                .add("code", error.code().wire())
                .add("message", error.message());
        if (id != null) {
            json.add("id", id);
        }
        if (channel != null) {
            json.add("channel", channel);
        }
        return json.build().toString();
    }

    static String quote(String s) {
        return Jsons.createValue(s).toString();
    }
}
