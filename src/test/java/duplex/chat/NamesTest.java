package duplex.chat;

import org.junit.jupiter.api.Test;

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
        assertEquals(Optional.of("🚀".repeat(32)), Names.nickname("🚀".repeat(32)), "32 characters, not 32 UTF-16 units");
        assertEquals(Optional.empty(), Names.nickname("🚀".repeat(33)));
        assertEquals(Optional.empty(), Names.nickname("\u3000 "));
        assertEquals(Optional.empty(), Names.nickname("a\u0000b"));
        assertEquals(Optional.empty(), Names.nickname("a\u2028b"));
        assertEquals(Optional.empty(), Names.nickname("a\ud800"));
        assertEquals(Optional.empty(), Names.nickname(null));
    }

    @Test
    void guestsGetFourDigits() {
        for (int i = 0; i < 1000; i++) {
            assertTrue(Names.guest().matches("guest-\\d{4}"));
        }
    }
}
