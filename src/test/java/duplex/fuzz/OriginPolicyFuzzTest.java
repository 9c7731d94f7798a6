package duplex.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import duplex.guard.OriginPolicy;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the origin policy's parsing of two headers a client writes freely (Origin, Host).
 * Properties: it never throws; no Origin header is always allowed; the answer given without the
 * host, when there is one, is the final answer; and an origin that is not the server's own is
 * never allowed by the same-origin rule, whatever the two strings look like.
 */
class OriginPolicyFuzzTest {

    private static final OriginPolicy SAME = OriginPolicy.sameOriginOnly();
    private static final OriginPolicy LISTED = OriginPolicy.of(List.of("https://app.example.com"));

    @FuzzTest(maxDuration = "15s")
    void decisionsAreTotalAndConsistent(FuzzedDataProvider data) {
        String origin = data.consumeBoolean() ? null : data.consumeString(200);
        String host = data.consumeBoolean() ? null : data.consumeRemainingAsString();
        for (OriginPolicy policy : List.of(SAME, LISTED)) {
            boolean allowed = policy.allows(origin, host);
            if (origin == null) {
                assertTrue(allowed);
            }
            policy.decideWithoutHost(origin).ifPresent(decided -> assertEquals(decided, allowed));
        }
        // The same-origin rule never lets a page of another host in: a host header that names
        // the attacker's host still has to match the Origin exactly.
        if (origin != null && SAME.allows(origin, "duplex.example:8080")) {
            assertTrue(origin.trim().toLowerCase(java.util.Locale.ROOT).matches("http://duplex\\.example:8080"),
                    "allowed " + origin);
        }
        assertFalse(SAME.allows(origin == null ? "null" : origin + "\u0000", host));
    }
}
