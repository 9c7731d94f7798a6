package duplex.app;

import duplex.guard.OriginPolicy;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SecuritySettingsTest {

    @Test
    void defaultsAreSameOriginAndAHundredConnectionsPerAddress() {
        Settings settings = Settings.defaults();
        assertEquals(List.of(), settings.allowedOrigins());
        assertEquals(100, settings.maxConnectionsPerAddress());
        OriginPolicy policy = settings.originPolicy();
        assertFalse(policy.allows("http://evil.example", "localhost:8080"));
        assertTrue(policy.allows("http://localhost:8080", "localhost:8080"));
    }

    @Test
    void allowedOriginsIsACommaSeparatedList() {
        Settings settings = Settings.load(Config.of(Map.of("duplex.allowed-origins", "https://a.example, http://localhost:3000")));
        assertEquals(List.of("https://a.example", "http://localhost:3000"), settings.allowedOrigins());
        assertTrue(settings.originPolicy().allows("https://a.example", "api.example"));
        assertTrue(Settings.load(Config.of(Map.of("duplex.allowed-origins", "*"))).originPolicy().allowsAny());
    }

    @Test
    void theEnvironmentVariableWorksToo() {
        Config config = new Config(name -> null, Map.of("DUPLEX_ALLOWED_ORIGINS", "*")::get, name -> null);
        assertTrue(Settings.load(config).originPolicy().allowsAny());
    }

    @Test
    void badSecurityKnobsFailNamingTheKnob() {
        IllegalArgumentException origins = assertThrows(IllegalArgumentException.class,
                () -> Settings.load(Config.of(Map.of("duplex.allowed-origins", "example.com"))));
        assertTrue(origins.getMessage().contains("duplex.allowed-origins"), origins.getMessage());
        assertTrue(origins.getMessage().contains("DUPLEX_ALLOWED_ORIGINS"), origins.getMessage());
        IllegalArgumentException perAddress = assertThrows(IllegalArgumentException.class,
                () -> Settings.load(Config.of(Map.of("duplex.max-connections-per-address", "0"))));
        assertTrue(perAddress.getMessage().contains("duplex.max-connections-per-address"), perAddress.getMessage());
    }
}
