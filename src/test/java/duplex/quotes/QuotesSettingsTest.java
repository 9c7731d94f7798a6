package duplex.quotes;

import duplex.app.Config;
import duplex.app.Settings;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuotesSettingsTest {

    @Test
    void defaultsAreTenTicksPerSecondAndAFixedSeed() {
        Settings settings = Settings.defaults();
        assertEquals(10, settings.quotesTicksPerSecond());
        assertEquals(42, settings.quotesSeed());
    }

    @Test
    void knobsAreReadAndBadValuesNameTheKnob() {
        Settings settings = Settings.load(Config.of(Map.of("duplex.quotes.ticks-per-second", "250", "duplex.quotes.seed", "-7")));
        assertEquals(250, settings.quotesTicksPerSecond());
        assertEquals(-7, settings.quotesSeed());
        for (String bad : new String[] {"0", "1001", "fast", "1.5"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Settings.load(Config.of(Map.of("duplex.quotes.ticks-per-second", bad))));
            assertTrue(e.getMessage().contains("duplex.quotes.ticks-per-second"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Settings.load(Config.of(Map.of("duplex.quotes.seed", "x"))));
    }
}
