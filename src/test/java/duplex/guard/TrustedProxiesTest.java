package duplex.guard;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrustedProxiesTest {

    private final TrustedProxies proxies = TrustedProxies.parse(" 10.0.0.0/8, 192.168.1.5 ,fd00::/8");

    @Test
    void addressesAndBlocks() {
        assertTrue(proxies.trusts("10.1.2.3"));
        assertTrue(proxies.trusts("192.168.1.5"));
        assertFalse(proxies.trusts("192.168.1.6"));
        assertFalse(proxies.trusts("11.0.0.1"));
        assertTrue(proxies.trusts("fd12::1"));
        assertTrue(proxies.trusts("[fd12::1]"));
        assertFalse(proxies.trusts("fe80::1"));
        assertTrue(proxies.trusts("::ffff:10.0.0.1"), "an IPv4-mapped address is the IPv4 address");
        assertFalse(proxies.trusts("proxy.example"), "never a name lookup");
        assertFalse(proxies.trusts(null));
        assertTrue(TrustedProxies.parse("0.0.0.0/0").trusts("203.0.113.9"));
    }

    @Test
    void badEntriesFailNamingThem() {
        for (String bad : List.of("10.0.0.0/33", "300.1.1.1", "proxy.example", "10.0.0.0/x", "::1/129")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrustedProxies.parse(bad));
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
        assertTrue(TrustedProxies.parse("").isEmpty());
        assertTrue(TrustedProxies.parse(" , ").isEmpty());
    }

    @Test
    void anUntrustedPeerIsTheClientWhateverItSends() {
        TrustedProxies.Client client = proxies.resolve("203.0.113.9", List.of("198.51.100.1"), List.of("https"), "http");
        assertEquals(new TrustedProxies.Client("203.0.113.9", "http"), client);
        assertEquals(new TrustedProxies.Client("127.0.0.1", "http"),
                TrustedProxies.none().resolve("127.0.0.1", List.of("1.2.3.4"), List.of("https"), "ws"));
    }

    @Test
    void behindATrustedProxyTheRightmostUntrustedEntryIsTheClient() {
        // The client forged an entry; the proxy appended the real one.
        assertEquals("198.51.100.7", proxies.resolve("10.0.0.2", List.of("6.6.6.6, 198.51.100.7"), List.of(), "http").address());
        // Two proxies in a row, the header split over two lines.
        assertEquals("198.51.100.7", proxies.resolve("10.0.0.2", List.of("6.6.6.6", "198.51.100.7, 10.9.9.9"), List.of(), "http").address());
        // Only proxies: the leftmost is as far as we can see.
        assertEquals("10.3.3.3", proxies.resolve("10.0.0.2", List.of("10.3.3.3, 10.9.9.9"), List.of(), "http").address());
        // No header: the proxy itself.
        assertEquals("10.0.0.2", proxies.resolve("10.0.0.2", List.of(), List.of(), "http").address());
        // Garbage stops the walk at the hop that wrote it.
        assertEquals("10.9.9.9", proxies.resolve("10.0.0.2", List.of("198.51.100.7, <script>, 10.9.9.9"), List.of(), "http").address());
        // One spelling per address, for the per-address limit.
        assertEquals(proxies.resolve("10.0.0.2", List.of("2001:db8::1"), List.of(), "http").address(),
                proxies.resolve("10.0.0.2", List.of("2001:0db8:0:0::0001"), List.of(), "http").address());
    }

    @Test
    void theSchemeComesFromATrustedProxyOnly() {
        assertEquals("https", proxies.resolve("10.0.0.2", List.of("198.51.100.7"), List.of("https"), "http").scheme());
        assertEquals("https", proxies.resolve("10.0.0.2", List.of(), List.of("http, HTTPS"), "http").scheme());
        assertEquals("http", proxies.resolve("10.0.0.2", List.of(), List.of("gopher"), "ws").scheme());
        assertEquals("https", proxies.resolve("10.0.0.2", List.of(), List.of(), "wss").scheme());
        assertEquals("http", proxies.resolve("198.51.100.7", List.of(), List.of("https"), "http").scheme());
    }
}
