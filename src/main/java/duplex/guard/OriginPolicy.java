package duplex.guard;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Which browser pages may open a WebSocket to this application.
 *
 * <p>Why: a browser sends cookies and HTTP credentials with a WebSocket handshake from any page
 * on the internet, and the Same-Origin Policy does not apply to WebSockets; the {@code Origin}
 * header is the only thing that tells a page of ours from a hostile one (cross-site WebSocket
 * hijacking). Browsers always send it and a page cannot forge it.
 *
 * <p>The rules, in order: no {@code Origin} header (a non-browser client, which carries no
 * ambient credentials of a victim) is allowed; {@code *} in the allowlist allows every origin
 * (for development); an origin listed exactly is allowed; otherwise the origin must be the
 * application's own, scheme, host and port: the configured public origin
 * ({@code duplex.public-origin}) when there is one, else the request's scheme with its
 * {@code Host} header.
 *
 * <p>Why a public origin: the {@code Host} header is written by the client. A DNS-rebinding page
 * (the attacker's name, resolved to this server) sends its own name as Origin and as Host, and
 * the two agree; only the server's own idea of its name tells them apart. Without the knob that
 * is left to the container (Tomcat answers only for its {@code Host} names and aliases when no
 * default host catches everything). Immutable and thread-safe.
 */
public final class OriginPolicy {

    public static final String ANY = "*";

    private final boolean any;
    private final Set<String> allowed;
    /** The application's own origin when configured; empty: the request's scheme and Host. */
    private final Optional<Origin> publicOrigin;

    private OriginPolicy(boolean any, Set<String> allowed, Optional<Origin> publicOrigin) {
        this.any = any;
        this.allowed = allowed;
        this.publicOrigin = publicOrigin;
    }

    /** Only the application's own origin. */
    public static OriginPolicy sameOriginOnly() {
        return new OriginPolicy(false, Set.of(), Optional.empty());
    }

    /**
     * This policy with the application's own origin fixed ({@code https://chat.example.com}),
     * instead of read from each request; blank: from each request.
     *
     * @throws IllegalArgumentException when it is not an origin
     */
    public OriginPolicy withPublicOrigin(String origin) {
        if (origin == null || origin.isBlank()) {
            return new OriginPolicy(any, allowed, Optional.empty());
        }
        String trimmed = origin.trim();
        Optional<Origin> parsed = Origin.parse(trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed);
        if (parsed.isEmpty()) {
            throw new IllegalArgumentException("'" + trimmed + "' is not an origin (scheme://host[:port])");
        }
        return new OriginPolicy(any, allowed, parsed);
    }

    /**
     * From the knob's entries: {@code *}, or origins written {@code scheme://host[:port]}.
     *
     * @throws IllegalArgumentException naming the first entry that is not an origin
     */
    public static OriginPolicy of(List<String> entries) {
        boolean any = false;
        Set<String> allowed = new LinkedHashSet<>();
        for (String entry : entries) {
            String trimmed = entry.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            if (trimmed.equals(ANY)) {
                any = true;
                continue;
            }
            // "https://example.com/" is how people copy an address; the origin is without the slash.
            Optional<Origin> origin = Origin.parse(trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed);
            if (origin.isEmpty()) {
                throw new IllegalArgumentException("'" + trimmed + "' is not an origin (scheme://host[:port]) or *");
            }
            allowed.add(origin.get().canonical());
        }
        return new OriginPolicy(any, Set.copyOf(allowed), Optional.empty());
    }

    /** Splits a comma separated knob value into entries. */
    public static List<String> split(String commaSeparated) {
        List<String> entries = new ArrayList<>();
        for (String part : commaSeparated.split(",")) {
            if (!part.isBlank()) {
                entries.add(part.trim());
            }
        }
        return entries;
    }

    public boolean allowsAny() {
        return any;
    }

    /**
     * The part of the decision that needs no {@code Host} header: true when the origin is
     * allowed whatever the host (absent, {@code *}, listed, the public origin), false when no
     * host could make it acceptable (unparseable, {@code null}, not http(s), or not the public
     * origin when one is configured). Empty when it depends on the request.
     */
    public Optional<Boolean> decideWithoutHost(String originHeader) {
        if (originHeader == null || any) {
            return Optional.of(true);
        }
        Optional<Origin> origin = Origin.parse(originHeader.trim());
        if (origin.isEmpty()) {
            return Optional.of(false);
        }
        if (allowed.contains(origin.get().canonical())) {
            return Optional.of(true);
        }
        if (publicOrigin.isPresent()) {
            return Optional.of(publicOrigin.get().equals(origin.get()));
        }
        return Optional.empty();
    }

    /**
     * The whole decision, given the scheme the request arrived with ({@code http} or
     * {@code https}; {@code ws} and {@code wss} count as those; behind a trusted proxy, the one it
     * reports) and the request's {@code Host} header (null if it had none).
     */
    public boolean allows(String originHeader, String requestScheme, String hostHeader) {
        Optional<Boolean> decided = decideWithoutHost(originHeader);
        if (decided.isPresent()) {
            return decided.get();
        }
        Origin origin = Origin.parse(originHeader.trim()).orElseThrow();
        Optional<String> scheme = TrustedProxies.httpScheme(requestScheme);
        return hostHeader != null && scheme.isPresent() && origin.scheme().equals(scheme.get())
                && origin.sameHostAndPort(hostHeader.trim());
    }

    @Override
    public String toString() {
        String own = publicOrigin.map(o -> "same origin " + o.canonical()).orElse("same origin");
        return any ? "*" : allowed.isEmpty() ? own : own + ", " + String.join(", ", allowed);
    }

    /** An http(s) origin: scheme, host (lower case, IPv6 in brackets) and effective port. */
    record Origin(String scheme, String host, int port) {

        static Optional<Origin> parse(String text) {
            if (text.isEmpty() || text.length() > 2048) {
                return Optional.empty();
            }
            URI uri;
            try {
                uri = new URI(text);
            } catch (Exception e) {
                return Optional.empty();
            }
            String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!"http".equals(scheme) && !"https".equals(scheme)) {
                return Optional.empty();
            }
            // An origin is scheme, host and port only: a path, query or user part means it is not one.
            if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawQuery() != null
                    || uri.getRawFragment() != null || !(uri.getRawPath() == null || uri.getRawPath().isEmpty())) {
                return Optional.empty();
            }
            int port = uri.getPort() == -1 ? defaultPort(scheme) : uri.getPort();
            return Optional.of(new Origin(scheme, uri.getHost().toLowerCase(Locale.ROOT), port));
        }

        static int defaultPort(String scheme) {
            return "https".equals(scheme) ? 443 : 80;
        }

        String canonical() {
            return scheme + "://" + host + ":" + port;
        }

        /**
         * The Host header carries no scheme: a missing port means the default port of this
         * origin's scheme, which the caller has checked against the request's.
         */
        boolean sameHostAndPort(String hostHeader) {
            String hostPart;
            int hostPort;
            if (hostHeader.startsWith("[")) {
                int end = hostHeader.indexOf(']');
                if (end < 0) {
                    return false;
                }
                hostPart = hostHeader.substring(0, end + 1);
                String rest = hostHeader.substring(end + 1);
                if (rest.isEmpty()) {
                    hostPort = defaultPort(scheme);
                } else if (rest.startsWith(":")) {
                    hostPort = port(rest.substring(1));
                } else {
                    return false;
                }
            } else {
                int colon = hostHeader.lastIndexOf(':');
                if (colon < 0) {
                    hostPart = hostHeader;
                    hostPort = defaultPort(scheme);
                } else {
                    hostPart = hostHeader.substring(0, colon);
                    hostPort = port(hostHeader.substring(colon + 1));
                }
            }
            return hostPort == port && hostPart.toLowerCase(Locale.ROOT).equals(host);
        }

        private static int port(String digits) {
            if (digits.isEmpty() || digits.length() > 5 || !digits.chars().allMatch(Character::isDigit)) {
                return -1;
            }
            return Integer.parseInt(digits);
        }
    }
}
