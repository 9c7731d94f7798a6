package duplex.chat;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LookalikesTest {

    @Test
    void confusablesOfAliceLookLikeAlice() {
        assertTrue(Lookalikes.alike("\u0430lice", "alice"), "Cyrillic а");
        assertTrue(Lookalikes.alike("\u2C6Dlice", "alice"), "Latin capital alpha Ɑ");
        assertTrue(Lookalikes.alike("\u0251lice", "alice"), "Latin small alpha ɑ");
        assertTrue(Lookalikes.alike("a1ice", "alice"), "digit one for l");
        assertTrue(Lookalikes.alike("alıce", "alice"), "dotless ı");
        assertTrue(Lookalikes.alike("\uFF41lice", "alice"), "fullwidth ａ");
        assertTrue(Lookalikes.alike("b\u043Eb", "bob"), "Cyrillic о");
        assertTrue(Lookalikes.alike("rnallory", "mallory"), "rn for m");
        assertTrue(Lookalikes.alike("rn", "m"));
    }

    @Test
    void caseCountsAsLookingAlike() {
        assertTrue(Lookalikes.alike("ALICE", "alice"));
        assertTrue(Lookalikes.alike("Alice", "alice"));
        assertTrue(Lookalikes.alike("AIice", "alice"), "capital I for l, after folding");
        assertTrue(Lookalikes.alike("\u041Dello", "hello"), "Cyrillic capital Н for H");
        assertTrue(Lookalikes.alike("\u0410LICE", "alice"), "Cyrillic capital А");
    }

    @Test
    void differentNamesDoNot() {
        assertFalse(Lookalikes.alike("alicia", "alice"));
        assertFalse(Lookalikes.alike("bobby", "bob"));
        assertFalse(Lookalikes.alike("Zoë", "Zoe"), "a diaeresis is visible");
        assertFalse(Lookalikes.alike("al ice", "alice"));
        assertFalse(Lookalikes.alike("發", "alice"));
    }
}
