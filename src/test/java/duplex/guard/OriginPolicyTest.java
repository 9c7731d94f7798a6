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
        assertTrue(same.allows(null, "http", "example.com"));
        assertTrue(same.allows(null, "http", null));
    }

    @Test
    void theApplicationsOwnOriginIsAllowed() {
        assertTrue(same.allows("http://localhost:8080", "http", "localhost:8080"));
        assertTrue(same.allows("https://chat.example.com", "https", "chat.example.com"));
        assertTrue(same.allows("https://chat.example.com", "https", "chat.example.com:443"));
        assertTrue(same.allows("http://chat.example.com", "http", "chat.example.com"));
        assertTrue(same.allows("HTTP://Chat.Example.COM:80", "http", "chat.example.com"));
        assertTrue(same.allows("http://[::1]:8080", "http", "[::1]:8080"));
        assertTrue(same.allows("http://127.0.0.1:9", "http", "127.0.0.1:9"));
    }

    @Test
    void anotherHostOrPortIsRefused() {
        assertFalse(same.allows("http://evil.example", "http", "chat.example.com"));
        assertFalse(same.allows("http://localhost:8081", "http", "localhost:8080"));
        assertFalse(same.allows("https://chat.example.com", "https", "chat.example.com:8443"));
        assertFalse(same.allows("http://chat.example.com.evil.example", "http", "chat.example.com"));
        assertFalse(same.allows("http://[::1]:8080", "http", "[::2]:8080"));
        assertFalse(same.allows("http://localhost:8080", "http", null));
        assertFalse(same.allows("http://localhost:8080", "http", "localhost:80x"));
        assertFalse(same.allows("http://localhost:8080", "http", "localhost:8080:1"));
    }

    @Test
    void theSchemeCountsToo() {
        // A page loaded over http is another origin than the https deployment, host and port alike.
        assertFalse(same.allows("http://chat.example.com:443", "https", "chat.example.com"));
        assertFalse(same.allows("http://chat.example.com", "https", "chat.example.com:80"));
        assertFalse(same.allows("https://chat.example.com", "http", "chat.example.com:443"));
        assertTrue(same.allows("https://chat.example.com", "wss", "chat.example.com"));
        assertTrue(same.allows("http://localhost:8080", "ws", "localhost:8080"));
        assertTrue(same.allows("https://chat.example.com", "HTTPS", "chat.example.com"));
        // An unknown scheme is no scheme: refused.
        assertFalse(same.allows("http://localhost:8080", null, "localhost:8080"));
        assertFalse(same.allows("http://localhost:8080", "ftp", "localhost:8080"));
    }

    @Test
    void aPublicOriginReplacesTheHostHeader() {
        OriginPolicy pinned = OriginPolicy.sameOriginOnly().withPublicOrigin("https://chat.example.com/");
        assertTrue(pinned.allows("https://chat.example.com", "http", "10.0.0.5:8080"));
        assertTrue(pinned.allows("https://CHAT.example.com:443", "https", null));
        // DNS rebinding: the attacker's name as Origin and as Host agree, and still fail.
        assertFalse(pinned.allows("http://evil.example:8080", "http", "evil.example:8080"));
        assertFalse(pinned.allows("https://evil.example", "https", "evil.example"));
        assertFalse(pinned.allows("http://chat.example.com", "http", "chat.example.com"));
        assertEquals(Optional.of(false), pinned.decideWithoutHost("http://evil.example:8080"));
        assertEquals(Optional.of(true), pinned.decideWithoutHost("https://chat.example.com"));
        // Listed origins stay allowed next to it; no Origin is still a non-browser client.
        OriginPolicy listed = OriginPolicy.of(List.of("https://app.example.com")).withPublicOrigin("https://chat.example.com");
        assertTrue(listed.allows("https://app.example.com", "http", "evil.example"));
        assertTrue(listed.allows(null, "http", "evil.example"));
        assertThrows(IllegalArgumentException.class, () -> OriginPolicy.sameOriginOnly().withPublicOrigin("chat.example.com"));
        assertThrows(IllegalArgumentException.class, () -> OriginPolicy.sameOriginOnly().withPublicOrigin("https://chat.example.com/app"));
    }

    @Test
    void whatIsNoOriginAtAllIsRefused() {
        for (String bad : List.of("null", "", "file://", "chrome-extension://abc", "ws://localhost:8080",
                "http://localhost:8080/path", "http://user@localhost:8080", "http://localhost:8080?x", "not a uri", "http://")) {
            assertFalse(same.allows(bad, "http", "localhost:8080"), bad);
            assertEquals(Optional.of(false), same.decideWithoutHost(bad), bad);
        }
    }

    @Test
    void listedOriginsAreAllowedWhateverTheHost() {
        OriginPolicy policy = OriginPolicy.of(OriginPolicy.split(" https://app.example.com , http://localhost:3000/ "));
        assertTrue(policy.allows("https://app.example.com", "https", "api.example.com"));
        assertTrue(policy.allows("https://app.example.com:443", "https", "api.example.com"));
        assertTrue(policy.allows("http://localhost:3000", "http", "localhost:8080"));
        assertFalse(policy.allows("http://localhost:3001", "http", "localhost:8080"));
        // The own origin stays allowed next to a list.
        assertTrue(policy.allows("http://localhost:8080", "http", "localhost:8080"));
        assertEquals(Optional.of(true), policy.decideWithoutHost("https://app.example.com"));
        assertEquals(Optional.empty(), policy.decideWithoutHost("https://other.example.com"));
    }

    @Test
    void starAllowsEveryOrigin() {
        OriginPolicy any = OriginPolicy.of(List.of("*"));
        assertTrue(any.allowsAny());
        assertTrue(any.allows("http://evil.example", "http", "localhost:8080"));
        assertTrue(any.allows("null", "http", "localhost:8080"));
    }

    @Test
    void aBadEntryFailsNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OriginPolicy.of(List.of("https://ok.example", "ftp://x.example")));
        assertTrue(e.getMessage().contains("ftp://x.example"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OriginPolicy.of(List.of("example.com")));
    }
}
