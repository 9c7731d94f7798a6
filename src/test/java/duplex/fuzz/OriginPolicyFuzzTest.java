package duplex.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import duplex.guard.OriginPolicy;

import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the origin policy's parsing of what a client writes freely (Origin, Host, and the
 * scheme a proxy reports). Properties: it never throws; no Origin header is always allowed; the
 * answer given without the host, when there is one, is the final answer; an origin that is not
 * the server's own (scheme, host and port) is never allowed by the same-origin rule, whatever
 * the strings look like; and with a public origin configured, nothing else passes that rule,
 * whatever Host and scheme say (DNS rebinding).
 */
class OriginPolicyFuzzTest {

    private static final OriginPolicy SAME = OriginPolicy.sameOriginOnly();
    private static final OriginPolicy LISTED = OriginPolicy.of(List.of("https://app.example.com"));
    private static final OriginPolicy PINNED = OriginPolicy.sameOriginOnly().withPublicOrigin("https://chat.example.com");
    private static final List<String> SCHEMES = List.of("http", "https", "ws", "wss", "HTTP", "ftp", "");

    @FuzzTest(maxDuration = "15s")
    void decisionsAreTotalAndConsistent(FuzzedDataProvider data) {
        String scheme = data.consumeBoolean() ? null : data.pickValue(SCHEMES);
        String origin = data.consumeBoolean() ? null : data.consumeString(200);
        String host = data.consumeBoolean() ? null : data.consumeRemainingAsString();
        for (OriginPolicy policy : List.of(SAME, LISTED, PINNED)) {
            boolean allowed = policy.allows(origin, scheme, host);
            if (origin == null) {
                assertTrue(allowed);
            }
            policy.decideWithoutHost(origin).ifPresent(decided -> assertEquals(decided, allowed));
        }
        // The same-origin rule never lets a page of another origin in: a Host header that names
        // the attacker's host still has to match the Origin exactly, scheme included.
        if (origin != null && SAME.allows(origin, "http", "duplex.example:8080")) {
            assertTrue(origin.trim().toLowerCase(Locale.ROOT).matches("http://duplex\\.example:8080"), "allowed " + origin);
        }
        if (origin != null && PINNED.allows(origin, scheme, host)) {
            assertTrue(origin.trim().toLowerCase(Locale.ROOT).matches("https://chat\\.example\\.com(:443)?"),
                    "allowed " + origin + " with the public origin set");
        }
        assertFalse(SAME.allows(origin == null ? "null" : origin + "\u0000", scheme, host));
    }
}
