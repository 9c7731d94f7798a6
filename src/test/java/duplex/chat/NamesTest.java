package duplex.chat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NamesTest {

    @Test
    void roomNames() {
        assertTrue(Names.isValidRoom("lobby"));
        assertTrue(Names.isValidRoom("A-z_0-9"));
        assertTrue(Names.isValidRoom("r".repeat(32)));
        assertFalse(Names.isValidRoom("r".repeat(33)));
        assertFalse(Names.isValidRoom(""));
        assertFalse(Names.isValidRoom(null));
        assertFalse(Names.isValidRoom("a.b"));
        assertFalse(Names.isValidRoom("a b"));
        assertFalse(Names.isValidRoom("été"));
        assertFalse(Names.isValidRoom("lobby\n"));
    }

    @Test
    void nicknames() {
        assertEquals(Optional.of("Alice"), Names.nickname("  Alice\t"));
        assertEquals(Optional.of("Zoë 發 🚀"), Names.nickname("Zoë 發 🚀"));
        assertEquals(Optional.of("a" + "🚀".repeat(31)), Names.nickname("a" + "🚀".repeat(31)), "32 characters, not 32 UTF-16 units");
        assertEquals(Optional.empty(), Names.nickname("a" + "🚀".repeat(32)));
        assertEquals(Optional.empty(), Names.nickname("\u3000 "));
        assertEquals(Optional.empty(), Names.nickname("a\u0000b"));
        assertEquals(Optional.empty(), Names.nickname("a\u2028b"));
        assertEquals(Optional.empty(), Names.nickname("a\ud800"));
        assertEquals(Optional.empty(), Names.nickname(null));
    }

    /** Issue 14, finding 7: names an attacker chose to impersonate someone, or to be invisible. */
    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiterString = "|", textBlock = """
            alice\u200B        | zero-width space after a name
            \u200B             | a zero-width space alone
            \u202Eecila        | right-to-left override: shows as alice
            \u2066alice        | left-to-right isolate
            ali\u2069ce        | pop directional isolate
            \u200Falice        | right-to-left mark
            \u061Calice        | Arabic letter mark
            \uFEFFalice        | byte order mark
            alice\u2060        | word joiner
            al\u00ADice        | soft hyphen
            \u3164             | Hangul filler alone (a letter by category)
            alice\u3164        | Hangul filler after a name
            \u115F\u1160      | Hangul choseong and jungseong fillers
            \uFFA0             | halfwidth Hangul filler
            \u2800             | braille blank
            alice\u2800        | braille blank after a name
            a\u034Flice        | combining grapheme joiner
            alice\uFE0F        | variation selector after a letter
            alice\u200D        | zero-width joiner after a letter
            \uE000alice        | private use
            alice ✓             | the page's verified mark
            alice ✔             | heavy check mark
            alice ✅            | white heavy check mark
            alice ☑             | ballot box with check
            alice √             | square root
            alice \uD83D\uDDF8 | light check mark U+1F5F8
            alice\u00A0✓       | no-break space and a check mark
            ---                 | no letter or digit
            🚀🚀                | emoji only
            !?                  | punctuation only
            """)
    void impersonatingAndInvisibleNamesAreRefused(String name, String why) {
        // The \\u escapes are Java's own: the compiler has put the characters in already.
        assertEquals(Optional.empty(), Names.nickname(name), why + ": " + codePoints(name));
    }

    @Test
    void legitimateNamesStayAndAreNormalisedToNfc() {
        assertEquals(Optional.of("Zoë"), Names.nickname("Zoë"));
        assertEquals(Optional.of("發"), Names.nickname("發"));
        assertEquals(Optional.of("José"), Names.nickname("Jose\u0301"), "decomposed, used as NFC");
        assertEquals("Jos\u00e9", Names.nickname("Jose\u0301").orElseThrow());
        assertEquals(Optional.of("Anne-Marie"), Names.nickname("Anne-Marie"));
        assertEquals(Optional.of("o'brien"), Names.nickname("o'brien"));
        assertEquals(Optional.of("Mary Jane Watson"), Names.nickname(" Mary Jane Watson "));
        assertEquals(Optional.of("Zoë 🚀"), Names.nickname("Zoë 🚀"));
        assertEquals(Optional.of("R2-D2"), Names.nickname("R2-D2"));
        assertEquals(Optional.of("שרה"), Names.nickname("שרה"), "right-to-left letters are letters");
        assertEquals(Optional.of("محمد"), Names.nickname("محمد"));
        assertEquals(Optional.of("Dev 👩\u200D💻"), Names.nickname("Dev 👩\u200D💻"), "a joiner inside an emoji");
        assertEquals(Optional.of("Ann ❤\uFE0F"), Names.nickname("Ann ❤\uFE0F"), "a variation selector after an emoji");
        assertEquals(Optional.of("Ann"), Names.nickname("\u00A0Ann\u202F"), "no-break spaces at the ends are trimmed");
        assertEquals(Optional.of("김민준"), Names.nickname("김민준"));
        assertEquals(Optional.of("x".repeat(32)), Names.nickname("x".repeat(32)));
    }

    @Test
    void theRuleIsIdempotent() {
        // The decoder passes on the name nickname() made, and the endpoint may check it again.
        for (String raw : new String[] {"Jose\u0301", " Zoë 🚀 ", "\u00A0Ann", "Å", "\u212Bngström"}) {
            String once = Names.nickname(raw).orElseThrow();
            assertEquals(Optional.of(once), Names.nickname(once), raw);
        }
    }

    private static String codePoints(String s) {
        return s.codePoints().mapToObj(cp -> String.format("U+%04X", cp)).reduce((a, b) -> a + " " + b).orElse("");
    }

    @Test
    void guestsGetFourDigits() {
        for (int i = 0; i < 1000; i++) {
            assertTrue(Names.guest().matches("guest-\\d{4}"));
        }
    }
}
