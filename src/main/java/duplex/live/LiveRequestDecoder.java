package duplex.live;

import duplex.bus.RoomSnapshot;
import duplex.protocol.ErrorCode;
import duplex.protocol.ErrorMessage;
import duplex.protocol.JsonText;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import java.math.BigDecimal;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * JSON text to {@link LiveRequest}; everything that is not a request becomes a
 * {@link LiveRequest.Malformed} with the answer to give. A plain class the endpoint calls: the
 * endpoint reads requests in parts against the size limit ({@link duplex.connection.Assembly})
 * before anything is parsed, which a container {@code Decoder} (whole messages only) cannot do.
 */
public final class LiveRequestDecoder {

    /** A publish's {@code id}: short, printable, so it can be echoed back as it came. */
    private static final Pattern ID = Pattern.compile("[\\x21-\\x7e]{1,64}");
    private static final BigDecimal LARGEST_SEQ = BigDecimal.valueOf(Long.MAX_VALUE);

    private LiveRequestDecoder() {
    }

    public static LiveRequest decode(String text) {
        JsonText.Parsed parsed = JsonText.parseMessage(text);
        if (parsed instanceof JsonText.Failed failed) {
            return new LiveRequest.Malformed(failed.error(), null, null);
        }
        JsonObject object = ((JsonText.Valid) parsed).object();
        String type = JsonText.string(object, "type").orElseThrow();
        String id = object.get("id") instanceof JsonString s && ID.matcher(s.getString()).matches() ? s.getString() : null;
        if (object.containsKey("id") && id == null) {
            return malformed(ErrorCode.INVALID, "\"id\" is 1 to 64 printable ASCII characters", null, null);
        }
        String rawChannel = object.get("channel") instanceof JsonString s ? s.getString() : null;
        Optional<ChannelName> channel = ChannelName.parse(rawChannel);
        String quoted = channel.map(ChannelName::name).orElse(null);
        return switch (type) {
            case "subscribe", "unsubscribe", "publish" -> {
                if (channel.isEmpty()) {
                    yield malformed(ErrorCode.INVALID, type + " needs \"channel\": " + ChannelName.RULE, id, null);
                }
                yield switch (type) {
                    case "subscribe" -> subscribe(object, channel.get(), id);
                    case "unsubscribe" -> new LiveRequest.Unsubscribe(channel.get());
                    default -> publish(object, channel.get(), id);
                };
            }
            default -> malformed(ErrorCode.UNKNOWN_TYPE, "unknown type \"" + shorten(type)
                    + "\"; expected subscribe, unsubscribe or publish", id, quoted);
        };
    }

    private static LiveRequest subscribe(JsonObject object, ChannelName channel, String id) {
        JsonValue since = object.get("since");
        if (since == null || since == JsonValue.NULL) {
            return new LiveRequest.Subscribe(channel, Optional.empty());
        }
        if (since instanceof JsonObject s && s.get("seq") instanceof JsonNumber seq && seq.isIntegral()
                && seq.bigDecimalValue().signum() >= 0 && seq.bigDecimalValue().compareTo(LARGEST_SEQ) <= 0
                && s.get("epoch") instanceof JsonString epoch && RoomSnapshot.isEpoch(epoch.getString())) {
            return new LiveRequest.Subscribe(channel, Optional.of(new LiveRequest.Since(seq.longValue(), epoch.getString())));
        }
        return malformed(ErrorCode.INVALID, "\"since\" is {\"seq\": a whole number >= 0, \"epoch\": the epoch of that seq}",
                id, channel.name());
    }

    private static LiveRequest publish(JsonObject object, ChannelName channel, String id) {
        JsonValue data = object.get("data");
        if (data == null) {
            return malformed(ErrorCode.INVALID, "publish needs \"data\": any JSON value", id, channel.name());
        }
        return new LiveRequest.Publish(channel, data.toString(), id);
    }

    private static LiveRequest malformed(ErrorCode code, String message, String id, String channel) {
        return new LiveRequest.Malformed(new ErrorMessage(code, message), id, channel);
    }

    /** Client text quoted back stays short and printable. */
    private static String shorten(String s) {
        String printable = s.codePoints().limit(40).filter(c -> c >= 0x20 && (c < 0xD800 || c > 0xDFFF))
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        return s.length() > 40 ? printable + "..." : printable;
    }
}
