package duplex.chat;

import com.ibm.icu.lang.UCharacter;
import com.ibm.icu.lang.UCharacterCategory;
import com.ibm.icu.lang.UProperty;

import java.text.Normalizer;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * The rules for room names, nicknames and chat text, in one place: the endpoint applies them at
 * open, the decoder to every message. Whether a chosen name looks like a signed-in member's
 * depends on the room, so {@link Room} checks that ({@link Lookalikes}).
 */
public final class Names {

    public static final int MAX_ROOM = 32;
    public static final int MAX_NAME = 32;
    public static final int MAX_TEXT = 2000;

    private static final Pattern ROOM = Pattern.compile("[A-Za-z0-9_-]{1," + MAX_ROOM + "}");

    /** What a refused rename is told; the {@code name} row of docs/protocol.md says the same. */
    public static final String NAME_RULE = "a name is 1 to " + MAX_NAME + " characters with at least one letter or digit;"
            + " no control, formatting or invisible characters, and no check marks";

    /**
     * Characters that look like the mark the chat page puts after a verified (signed-in) name, so
     * that {@code alice ✓} cannot pass for the verified {@code alice}.
     */
    private static final Set<Integer> CHECK_MARKS = Set.of(
            0x2713, 0x2714, 0x2705, 0x2611, 0x221A, 0x237B, 0x1F5F8, 0x1F5F9, 0x10102);
    /** Blank-looking symbols that Unicode does not class as default-ignorable. */
    private static final int BRAILLE_BLANK = 0x2800;
    private static final int ZERO_WIDTH_JOINER = 0x200D;

    private Names() {
    }

    public static boolean isValidRoom(String room) {
        return room != null && ROOM.matcher(room).matches();
    }

    /**
     * The nickname as it will be used, or empty when it is not acceptable. The name is put in NFC
     * (so {@code José} typed with a combining accent is the same name as with {@code é}) and
     * trimmed of spaces; then it must be 1 to 32 characters (code points) with at least one letter
     * or digit, and contain none of: control characters, line or paragraph separators, broken
     * UTF-16, format characters (bidi controls, zero-width spaces and joiners, the BOM, soft
     * hyphen), other default-ignorable code points (Hangul fillers, variation selectors),
     * private-use or unassigned code points, the braille blank, or a check mark. These are the
     * characters that make a name invisible, reorder what the page shows around it, or
     * counterfeit the verified mark. Variation selectors and the zero-width joiner are allowed
     * where they belong to an emoji ({@code ❤️}, {@code 👩‍💻}).
     */
    public static Optional<String> nickname(String raw) {
        if (raw == null) {
            return Optional.empty();
        }
        String trimmed = trim(raw);
        // Checked before normalising: the normaliser must not see (or silently keep) a lone surrogate.
        if (!wellFormed(trimmed, false)) {
            return Optional.empty();
        }
        // No character normalises to a leading or trailing space that trim() would not have taken.
        String name = Normalizer.normalize(trimmed, Normalizer.Form.NFC);
        int[] codePoints = name.codePoints().toArray();
        if (codePoints.length < 1 || codePoints.length > MAX_NAME) {
            return Optional.empty();
        }
        boolean letterOrDigit = false;
        for (int i = 0; i < codePoints.length; i++) {
            int cp = codePoints[i];
            if (!shown(cp) && !partOfEmoji(codePoints, i)) {
                return Optional.empty();
            }
            letterOrDigit |= UCharacter.isLetterOrDigit(cp);
        }
        return letterOrDigit ? Optional.of(name) : Optional.empty();
    }

    /**
     * Whether a character may stand in a name on its own. Categories come from ICU, whose Unicode
     * is newer than Java 17's: an emoji the JDK does not know yet is not taken for unassigned.
     */
    private static boolean shown(int cp) {
        int type = UCharacter.getType(cp);
        return type != UCharacterCategory.FORMAT
                && type != UCharacterCategory.PRIVATE_USE
                && type != UCharacterCategory.UNASSIGNED
                && type != UCharacterCategory.LINE_SEPARATOR
                && type != UCharacterCategory.PARAGRAPH_SEPARATOR
                && !UCharacter.hasBinaryProperty(cp, UProperty.DEFAULT_IGNORABLE_CODE_POINT)
                && cp != BRAILLE_BLANK
                && !CHECK_MARKS.contains(cp);
    }

    /**
     * A variation selector right after an emoji ({@code ❤} + U+FE0F), or a zero-width joiner
     * between two pictographs ({@code 👩} U+200D {@code 💻}): invisible on their own, but how
     * phones type these emoji. Anywhere else they are refused.
     */
    private static boolean partOfEmoji(int[] codePoints, int i) {
        int cp = codePoints[i];
        if (cp == 0xFE0E || cp == 0xFE0F) {
            return i > 0 && UCharacter.hasBinaryProperty(codePoints[i - 1], UProperty.EMOJI);
        }
        if (cp == ZERO_WIDTH_JOINER) {
            return i > 0 && i + 1 < codePoints.length
                    && (UCharacter.hasBinaryProperty(codePoints[i - 1], UProperty.EXTENDED_PICTOGRAPHIC)
                        || UCharacter.hasBinaryProperty(codePoints[i - 1], UProperty.EMOJI_MODIFIER)
                        || codePoints[i - 1] == 0xFE0F)
                    && UCharacter.hasBinaryProperty(codePoints[i + 1], UProperty.EXTENDED_PICTOGRAPHIC);
        }
        return false;
    }

    /**
     * Trims white space and every other space separator: {@link String#strip} keeps a no-break
     * space (U+00A0, U+202F), which would let {@code alice} plus one pass for {@code alice}.
     */
    private static String trim(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isSpace(s.codePointAt(start))) {
            start += Character.charCount(s.codePointAt(start));
        }
        while (end > start && isSpace(s.codePointBefore(end))) {
            end -= Character.charCount(s.codePointBefore(end));
        }
        return s.substring(start, end);
    }

    private static boolean isSpace(int cp) {
        return Character.isWhitespace(cp) || Character.isSpaceChar(cp);
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
