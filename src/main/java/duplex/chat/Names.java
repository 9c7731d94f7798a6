package duplex.chat;

import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * The rules for room names, nicknames and chat text, in one place: the endpoint applies them at
 * open, the decoder to every message.
 */
public final class Names {

    public static final int MAX_ROOM = 32;
    public static final int MAX_NAME = 32;
    public static final int MAX_TEXT = 2000;

    private static final Pattern ROOM = Pattern.compile("[A-Za-z0-9_-]{1," + MAX_ROOM + "}");

    private Names() {
    }

    public static boolean isValidRoom(String room) {
        return room != null && ROOM.matcher(room).matches();
    }

    /**
     * The nickname as it will be used (trimmed), or empty when it is not acceptable: blank after
     * trimming, longer than 32 characters, or containing control characters or a broken UTF-16
     * sequence (which could not even be sent back as UTF-8).
     */
    public static Optional<String> nickname(String raw) {
        if (raw == null) {
            return Optional.empty();
        }
        String name = raw.strip();
        int length = name.codePointCount(0, name.length());
        if (length < 1 || length > MAX_NAME || !wellFormed(name, false)) {
            return Optional.empty();
        }
        return Optional.of(name);
    }

    /**
     * Why a chat text is refused, or empty when it is fine: 1 to 2000 characters (code points, so
     * an emoji counts once), not blank, no control characters other than line breaks and tabs.
     */
    public static Optional<String> textProblem(String text) {
        if (text.isBlank()) {
            return Optional.of("text is empty");
        }
        if (text.codePointCount(0, text.length()) > MAX_TEXT) {
            return Optional.of("text is longer than " + MAX_TEXT + " characters");
        }
        if (!wellFormed(text, true)) {
            return Optional.of("text contains control characters or broken Unicode");
        }
        return Optional.empty();
    }

    /** A name for someone who gave none: {@code guest-} and four digits. */
    public static String guest() {
        return String.format("guest-%04d", ThreadLocalRandom.current().nextInt(10_000));
    }

    /**
     * No unpaired surrogates (they cannot be encoded as UTF-8, and one in a broadcast would fail
     * the send to every member) and no control characters except, in texts, line breaks and tabs.
     */
    private static boolean wellFormed(String s, boolean allowLineBreaks) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= n || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            } else if (c == '\n' || c == '\t' || c == '\r') {
                if (!allowLineBreaks) {
                    return false;
                }
            } else if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                return false;
            }
        }
        return true;
    }
}
