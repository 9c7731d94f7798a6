package duplex.app;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigTest {

    private static Config config(Map<String, String> properties, Map<String, String> environment, Map<String, String> context) {
        return new Config(properties::get, environment::get, context::get);
    }

    @Test
    void systemPropertyBeatsEnvironmentBeatsContextBeatsDefault() {
        String knob = "duplex.echo.max-text-bytes";
        String env = "DUPLEX_ECHO_MAX_TEXT_BYTES";
        assertEquals(1, config(Map.of(knob, "1"), Map.of(env, "2"), Map.of(knob, "3")).integer(knob, 4, 0, 10));
        assertEquals(2, config(Map.of(), Map.of(env, "2"), Map.of(knob, "3")).integer(knob, 4, 0, 10));
        assertEquals(3, config(Map.of(), Map.of(), Map.of(knob, "3")).integer(knob, 4, 0, 10));
        assertEquals(4, config(Map.of(), Map.of(), Map.of()).integer(knob, 4, 0, 10));
    }

    @Test
    void aBlankValueFallsThroughToTheNextSource() {
        // docker-compose.yml passes every knob's variable, empty when the user set none.
        String knob = "duplex.echo.max-text-bytes";
        String env = "DUPLEX_ECHO_MAX_TEXT_BYTES";
        assertEquals(3, config(Map.of(knob, " "), Map.of(env, ""), Map.of(knob, "3")).integer(knob, 4, 0, 10));
        assertEquals(4, config(Map.of(), Map.of(env, ""), Map.of()).integer(knob, 4, 0, 10));
    }

    @Test
    void switchesAreOnOrOffAndAnythingElseNamesTheKnob() {
        String knob = "duplex.permessage-deflate";
        assertEquals(true, Config.of(Map.of(knob, "on")).onOff(knob, false));
        assertEquals(true, Config.of(Map.of(knob, "TRUE")).onOff(knob, false));
        assertEquals(false, Config.of(Map.of(knob, "Off")).onOff(knob, true));
        assertEquals(false, Config.of(Map.of()).onOff(knob, false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Config.of(Map.of(knob, "yes")).onOff(knob, false));
        assertTrue(e.getMessage().contains(knob) && e.getMessage().contains("DUPLEX_PERMESSAGE_DEFLATE"), e.getMessage());
    }

    @Test
    void environmentNamesAreDerivedFromKnobNames() {
        assertEquals("DUPLEX_OUTBOX_MAX_BYTES", Config.environmentName("duplex.outbox.max-bytes"));
    }

    @Test
    void durationsAcceptUnitsIsoAndZero() {
        assertEquals(Duration.ofMillis(250), Config.parseDuration("250ms"));
        assertEquals(Duration.ofSeconds(30), Config.parseDuration("30s"));
        assertEquals(Duration.ofMinutes(5), Config.parseDuration("5m"));
        assertEquals(Duration.ofHours(1), Config.parseDuration("1h"));
        assertEquals(Duration.ofSeconds(90), Config.parseDuration("PT1M30S"));
        assertEquals(Duration.ZERO, Config.parseDuration("0"));
        assertEquals(null, Config.parseDuration("soon"));
    }

    @Test
    void badValuesFailWithTheKnobsName() {
        Config config = Config.of(Map.of("duplex.echo.max-text-bytes", "lots", "duplex.ping-interval", "-5s",
                "duplex.outbox.max-messages", "0"));
        IllegalArgumentException notANumber = assertThrows(IllegalArgumentException.class, () -> Settings.load(config));
        assertTrue(notANumber.getMessage().contains("duplex.echo.max-text-bytes"), notANumber.getMessage());
        assertTrue(notANumber.getMessage().contains("DUPLEX_ECHO_MAX_TEXT_BYTES"), notANumber.getMessage());

        IllegalArgumentException outOfRange = assertThrows(IllegalArgumentException.class,
                () -> Settings.load(Config.of(Map.of("duplex.outbox.max-messages", "0"))));
        assertTrue(outOfRange.getMessage().contains("duplex.outbox.max-messages"), outOfRange.getMessage());
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        Settings settings = Settings.defaults();
        assertEquals(65_536, settings.echoMaxTextBytes());
        assertEquals(1_048_576, settings.echoMaxBinaryBytes());
        assertEquals(Duration.ofMinutes(5), settings.idleTimeout());
        assertEquals(Duration.ofSeconds(30), settings.pingInterval());
        assertEquals(1000, settings.outboxMaxMessages());
        assertEquals(1_048_576, settings.outboxMaxBytes());
    }
}
