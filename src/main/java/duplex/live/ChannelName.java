package duplex.live;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A channel's name, {@code [A-Za-z0-9_.:-]{1,64}}, and its namespace: the part before the first
 * {@code :}, or the whole name when it has none ({@code news} and {@code news:eu} are both in
 * {@code news}). The namespace carries the channel's policy ({@link Namespace}).
 */
public record ChannelName(String name, String namespace) {

    public static final int MAX_LENGTH = 64;
    public static final String RULE = "a channel name is 1 to " + MAX_LENGTH + " characters of A-Z a-z 0-9 _ . : -";
    private static final Pattern PATTERN = Pattern.compile("[A-Za-z0-9_.:-]{1," + MAX_LENGTH + "}");

    /** The name if it follows {@link #RULE}; empty otherwise (null included). */
    public static Optional<ChannelName> parse(String raw) {
        if (raw == null || !PATTERN.matcher(raw).matches()) {
            return Optional.empty();
        }
        int colon = raw.indexOf(':');
        return Optional.of(new ChannelName(raw, colon < 0 ? raw : raw.substring(0, colon)));
    }

    @Override
    public String toString() {
        return name;
    }
}
