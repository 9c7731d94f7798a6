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
        assertFalse(policy.allows("http://evil.example", "http", "localhost:8080"));
        assertTrue(policy.allows("http://localhost:8080", "http", "localhost:8080"));
    }

    @Test
    void allowedOriginsIsACommaSeparatedList() {
        Settings settings = Settings.load(Config.of(Map.of("duplex.allowed-origins", "https://a.example, http://localhost:3000")));
        assertEquals(List.of("https://a.example", "http://localhost:3000"), settings.allowedOrigins());
        assertTrue(settings.originPolicy().allows("https://a.example", "http", "api.example"));
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

    @Test
    void theNewSecurityKnobsDefaultToOpenAndTrustNoOne() {
        Settings settings = Settings.defaults();
        assertTrue(settings.trustedProxies().isEmpty());
        assertEquals("", settings.publicOrigin());
        assertFalse(settings.opsToken().isSet());
        assertEquals("", settings.opsRole());
    }

    @Test
    void theOpsTokenIsNeverPrintedAndMustBeLongEnough() {
        String token = "s3cr3t-t0ken-0123456789";
        Settings settings = Settings.load(Config.of(Map.of("duplex.ops.token", token, "duplex.trusted-proxies", "10.0.0.0/8",
                "duplex.public-origin", "https://chat.example.com")));
        assertEquals(token, settings.opsToken().value());
        assertFalse(settings.toString().contains(token), "the start-up log line shows every setting");
        assertTrue(settings.toString().contains("10.0.0.0/8"), settings.toString());
        assertFalse(settings.originPolicy().allows("http://evil.example", "http", "evil.example"), "the public origin applies");
        IllegalArgumentException shortToken = assertThrows(IllegalArgumentException.class,
                () -> Settings.load(Config.of(Map.of("duplex.ops.token", "short"))));
        assertTrue(shortToken.getMessage().contains("duplex.ops.token") && !shortToken.getMessage().contains("short'"),
                shortToken.getMessage());
    }

    @Test
    void badProxyAndOriginKnobsFailNamingTheKnob() {
        IllegalArgumentException proxies = assertThrows(IllegalArgumentException.class,
                () -> Settings.load(Config.of(Map.of("duplex.trusted-proxies", "nginx"))));
        assertTrue(proxies.getMessage().contains("duplex.trusted-proxies") && proxies.getMessage().contains("DUPLEX_TRUSTED_PROXIES"),
                proxies.getMessage());
        IllegalArgumentException origin = assertThrows(IllegalArgumentException.class,
                () -> Settings.load(Config.of(Map.of("duplex.public-origin", "chat.example.com"))));
        assertTrue(origin.getMessage().contains("duplex.public-origin"), origin.getMessage());
    }
}
