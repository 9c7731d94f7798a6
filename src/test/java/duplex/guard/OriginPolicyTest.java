package duplex.guard;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OriginPolicyTest {

    private final OriginPolicy same = OriginPolicy.sameOriginOnly();

    @Test
    void noOriginHeaderIsANonBrowserClientAndAllowed() {
        assertTrue(same.allows(null, "example.com"));
        assertTrue(same.allows(null, null));
    }

    @Test
    void theApplicationsOwnOriginIsAllowed() {
        assertTrue(same.allows("http://localhost:8080", "localhost:8080"));
        assertTrue(same.allows("https://chat.example.com", "chat.example.com"));
        assertTrue(same.allows("https://chat.example.com", "chat.example.com:443"));
        assertTrue(same.allows("http://chat.example.com", "chat.example.com"));
        assertTrue(same.allows("HTTP://Chat.Example.COM:80", "chat.example.com"));
        assertTrue(same.allows("http://[::1]:8080", "[::1]:8080"));
        assertTrue(same.allows("http://127.0.0.1:9", "127.0.0.1:9"));
    }

    @Test
    void anotherHostOrPortIsRefused() {
        assertFalse(same.allows("http://evil.example", "chat.example.com"));
        assertFalse(same.allows("http://localhost:8081", "localhost:8080"));
        assertFalse(same.allows("https://chat.example.com", "chat.example.com:8443"));
        assertFalse(same.allows("http://chat.example.com.evil.example", "chat.example.com"));
        assertFalse(same.allows("http://[::1]:8080", "[::2]:8080"));
        assertFalse(same.allows("http://localhost:8080", null));
        assertFalse(same.allows("http://localhost:8080", "localhost:80x"));
        assertFalse(same.allows("http://localhost:8080", "localhost:8080:1"));
    }

    @Test
    void whatIsNoOriginAtAllIsRefused() {
        for (String bad : List.of("null", "", "file://", "chrome-extension://abc", "ws://localhost:8080",
                "http://localhost:8080/path", "http://user@localhost:8080", "http://localhost:8080?x", "not a uri", "http://")) {
            assertFalse(same.allows(bad, "localhost:8080"), bad);
            assertEquals(Optional.of(false), same.decideWithoutHost(bad), bad);
        }
    }

    @Test
    void listedOriginsAreAllowedWhateverTheHost() {
        OriginPolicy policy = OriginPolicy.of(OriginPolicy.split(" https://app.example.com , http://localhost:3000/ "));
        assertTrue(policy.allows("https://app.example.com", "api.example.com"));
        assertTrue(policy.allows("https://app.example.com:443", "api.example.com"));
        assertTrue(policy.allows("http://localhost:3000", "localhost:8080"));
        assertFalse(policy.allows("http://localhost:3001", "localhost:8080"));
        // The own origin stays allowed next to a list.
        assertTrue(policy.allows("http://localhost:8080", "localhost:8080"));
        assertEquals(Optional.of(true), policy.decideWithoutHost("https://app.example.com"));
        assertEquals(Optional.empty(), policy.decideWithoutHost("https://other.example.com"));
    }

    @Test
    void starAllowsEveryOrigin() {
        OriginPolicy any = OriginPolicy.of(List.of("*"));
        assertTrue(any.allowsAny());
        assertTrue(any.allows("http://evil.example", "localhost:8080"));
        assertTrue(any.allows("null", "localhost:8080"));
    }

    @Test
    void aBadEntryFailsNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OriginPolicy.of(List.of("https://ok.example", "ftp://x.example")));
        assertTrue(e.getMessage().contains("ftp://x.example"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OriginPolicy.of(List.of("example.com")));
    }
}
