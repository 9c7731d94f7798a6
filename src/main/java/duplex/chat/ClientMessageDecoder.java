package duplex.chat;

import duplex.app.DuplexConfigurator;
import duplex.protocol.ErrorCode;
import duplex.protocol.ErrorMessage;
import duplex.protocol.JsonText;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.websocket.Decoder;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.server.ServerEndpointConfig;

import java.math.BigDecimal;
import java.util.Optional;

/**
 * JSON text to {@link ClientMessage}. {@link #willDecode} accepts everything and {@link #decode}
 * turns whatever arrived into a message or a {@link ClientMessage.Rejected}, so no parse state is
 * kept between the two calls and no exception reaches the container.
 *
 * <p>The frame limit is checked here too, before parsing: Tomcat enforces its whole-message buffer
 * exactly, but Tyrus (and so Payara) only when a frame arrives in several reads, and the limit
 * must be the same everywhere.
 */
public final class ClientMessageDecoder implements Decoder.Text<ClientMessage> {

    private static final BigDecimal LARGEST_CURSOR = BigDecimal.valueOf(Long.MAX_VALUE);

    private int maxFrameChars = Integer.MAX_VALUE;

    @Override
    public void init(EndpointConfig config) {
        if (config instanceof ServerEndpointConfig server && server.getConfigurator() instanceof DuplexConfigurator duplex) {
            maxFrameChars = duplex.settings().chatMaxFrameChars();
        }
    }

    @Override
    public boolean willDecode(String text) {
        return true;
    }

    @Override
    public ClientMessage decode(String text) {
        if (text.length() > maxFrameChars) {
            return new ClientMessage.TooBig(text.length(), maxFrameChars);
        }
        return decodeMessage(text);
    }

    public static ClientMessage decodeMessage(String text) {
        JsonText.Parsed parsed = JsonText.parseMessage(text);
        if (parsed instanceof JsonText.Failed failed) {
            return new ClientMessage.Rejected(failed.error());
        }
        JsonObject object = ((JsonText.Valid) parsed).object();
        String type = JsonText.string(object, "type").orElseThrow();
        return switch (type) {
            case "say" -> say(object);
            case "rename" -> rename(object);
            case "members" -> members(object);
            default -> rejected(ErrorCode.UNKNOWN_TYPE, "unknown type \"" + shorten(type) + "\"; expected say, rename or members");
        };
    }

    private static ClientMessage say(JsonObject object) {
        Optional<String> text = JsonText.string(object, "text");
        if (text.isEmpty()) {
            return rejected(ErrorCode.INVALID, "say needs a string \"text\"");
        }
        Optional<String> problem = Names.textProblem(text.get());
        if (problem.isPresent()) {
            return rejected(ErrorCode.INVALID, problem.get());
        }
        return new ClientMessage.Say(text.get());
    }

    private static ClientMessage rename(JsonObject object) {
        Optional<String> raw = JsonText.string(object, "name");
        if (raw.isEmpty()) {
            return rejected(ErrorCode.INVALID, "rename needs a string \"name\"");
        }
        return Names.nickname(raw.get())
                .<ClientMessage>map(ClientMessage.Rename::new)
                .orElseGet(() -> rejected(ErrorCode.INVALID, Names.NAME_RULE));
    }

    private static ClientMessage members(JsonObject object) {
        // Compared as BigDecimal: turning 1e999999 into a BigInteger would be the client's cheapest way to burn our CPU.
        if (object.get("after") instanceof JsonNumber after && after.isIntegral()
                && after.bigDecimalValue().signum() >= 0 && after.bigDecimalValue().compareTo(LARGEST_CURSOR) <= 0) {
            return new ClientMessage.Members(after.longValue());
        }
        return rejected(ErrorCode.INVALID, "members needs \"after\": the \"more\" of the welcome or of the last page");
    }

    private static ClientMessage rejected(ErrorCode code, String message) {
        return new ClientMessage.Rejected(new ErrorMessage(code, message));
    }

    /**
     * Client text quoted back in an error stays short, and a broken surrogate in it becomes
     * U+FFFD: a lone surrogate cannot be sent as UTF-8.
     */
    static String shorten(String s) {
        StringBuilder out = new StringBuilder();
        int count = 0;
        for (int i = 0; i < s.length() && count < 40; count++) {
            int codePoint = s.codePointAt(i);
            out.appendCodePoint(Character.isSurrogate((char) codePoint) ? 0xFFFD : codePoint);
            i += Character.charCount(codePoint);
            if (count == 39 && i < s.length()) {
                out.append("...");
            }
        }
        return out.toString();
    }
}
