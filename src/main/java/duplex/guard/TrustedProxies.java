package duplex.guard;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The reverse proxies whose {@code X-Forwarded-For} and {@code X-Forwarded-Proto} headers are
 * believed: the knob {@code duplex.trusted-proxies}, addresses or CIDR blocks ({@code 10.0.0.0/8},
 * {@code fd00::/8}). Empty (the default) believes no one.
 *
 * <p>Why: behind a proxy every connection comes from the proxy's address, so the per-address
 * limit would count all clients as one, and a TLS proxy turns {@code https} into {@code http}.
 * But anyone can write those headers: they count only when the TCP peer is a listed proxy, and
 * the client is then the rightmost {@code X-Forwarded-For} entry that is not itself a listed
 * proxy (every header line, in order, as Tomcat's {@code RemoteIpValve} reads them), since
 * entries further left were written by whoever connected to the first proxy. Immutable.
 *
 * @param blocks the listed blocks
 * @param text   the knob's value, for the start-up log
 */
public record TrustedProxies(List<Block> blocks, String text) {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");

    /** Where a client is, and the scheme its page was loaded with ({@code http} or {@code https}). */
    public record Client(String address, String scheme) {
    }

    /** An address block: the first {@code bits} bits of {@code network}. */
    public record Block(byte[] network, int bits) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            for (int i = 0; i < bits; i++) {
                int mask = 0x80 >>> (i % 8);
                if ((address[i / 8] & mask) != (network[i / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }

    public TrustedProxies {
        blocks = List.copyOf(blocks);
    }

    public static TrustedProxies none() {
        return new TrustedProxies(List.of(), "");
    }

    /**
     * From the knob's comma separated value.
     *
     * @throws IllegalArgumentException naming the first entry that is not an address or a block
     */
    public static TrustedProxies parse(String commaSeparated) {
        List<Block> blocks = new ArrayList<>();
        List<String> entries = new ArrayList<>();
        for (String part : commaSeparated.split(",")) {
            String entry = part.trim();
            if (entry.isEmpty()) {
                continue;
            }
            int slash = entry.indexOf('/');
            Optional<byte[]> address = literal(slash < 0 ? entry : entry.substring(0, slash));
            if (address.isEmpty()) {
                throw new IllegalArgumentException("'" + entry + "' is not an IP address or CIDR block (10.0.0.0/8)");
            }
            int max = address.get().length * 8;
            int bits = max;
            if (slash >= 0) {
                String digits = entry.substring(slash + 1);
                if (!digits.matches("\\d{1,3}") || Integer.parseInt(digits) > max) {
                    throw new IllegalArgumentException("'" + entry + "' has no valid prefix length (0 to " + max + ")");
                }
                bits = Integer.parseInt(digits);
            }
            blocks.add(new Block(address.get(), bits));
            entries.add(entry);
        }
        return new TrustedProxies(blocks, String.join(",", entries));
    }

    public boolean isEmpty() {
        return blocks.isEmpty();
    }

    public boolean trusts(String address) {
        return address != null && literal(address).map(this::trusts).orElse(false);
    }

    private boolean trusts(byte[] address) {
        return blocks.stream().anyMatch(block -> block.contains(address));
    }

    /**
     * The client behind the TCP peer {@code peer}.
     *
     * @param forwardedFor   every {@code X-Forwarded-For} header line, in order
     * @param forwardedProto every {@code X-Forwarded-Proto} header line, in order
     * @param scheme         the request's own scheme ({@code http}, {@code https}, {@code ws} or {@code wss})
     */
    public Client resolve(String peer, List<String> forwardedFor, List<String> forwardedProto, String scheme) {
        String ownScheme = httpScheme(scheme).orElse("http");
        if (!trusts(peer)) {
            return new Client(peer, ownScheme);
        }
        List<String> hops = tokens(forwardedFor);
        String client = canonical(literal(peer).orElseThrow());
        for (int i = hops.size() - 1; i >= 0; i--) {
            Optional<byte[]> hop = literal(hops.get(i));
            if (hop.isEmpty()) {
                break; // not an address: the hop that wrote it is the last one we can name
            }
            client = canonical(hop.get());
            if (!trusts(hop.get())) {
                break;
            }
        }
        List<String> protos = tokens(forwardedProto);
        // The nearest proxy's word: the last value (nginx sets, not appends, $scheme).
        String forwardedScheme = protos.isEmpty() ? ownScheme : httpScheme(protos.get(protos.size() - 1)).orElse(ownScheme);
        return new Client(client, forwardedScheme);
    }

    /** {@code http} for http and ws, {@code https} for https and wss, else empty. */
    public static Optional<String> httpScheme(String scheme) {
        if (scheme == null) {
            return Optional.empty();
        }
        return switch (scheme.trim().toLowerCase(Locale.ROOT)) {
            case "http", "ws" -> Optional.of("http");
            case "https", "wss" -> Optional.of("https");
            default -> Optional.empty();
        };
    }

    private static List<String> tokens(List<String> lines) {
        List<String> tokens = new ArrayList<>();
        if (lines != null) {
            for (String line : lines) {
                if (line == null) {
                    continue;
                }
                for (String token : line.split(",")) {
                    if (!token.isBlank()) {
                        tokens.add(token.trim());
                    }
                }
            }
        }
        return tokens;
    }

    /**
     * An IP address literal as bytes, never a name lookup: IPv4 dotted quads, IPv6 (with or
     * without brackets; a zone is dropped). IPv4-mapped IPv6 addresses come back as IPv4.
     */
    static Optional<byte[]> literal(String text) {
        String t = text.trim();
        if (t.startsWith("[") && t.endsWith("]")) {
            t = t.substring(1, t.length() - 1);
        }
        int zone = t.indexOf('%');
        if (zone >= 0) {
            t = t.substring(0, zone);
        }
        if (IPV4.matcher(t).matches()) {
            String[] parts = t.split("\\.");
            byte[] bytes = new byte[4];
            for (int i = 0; i < 4; i++) {
                int octet = Integer.parseInt(parts[i]);
                if (octet > 255) {
                    return Optional.empty();
                }
                bytes[i] = (byte) octet;
            }
            return Optional.of(bytes);
        }
        if (t.indexOf(':') >= 0 && IPV6.matcher(t).matches()) {
            try {
                // A literal with a colon is parsed, never looked up.
                return Optional.of(InetAddress.getByName(t).getAddress());
            } catch (UnknownHostException | RuntimeException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** The address as the per-address limit counts it: one spelling per address. */
    static String canonical(byte[] address) {
        try {
            return InetAddress.getByAddress(address).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e); // only for a length other than 4 or 16
        }
    }

    @Override
    public String toString() {
        return text.isEmpty() ? "none" : text;
    }
}
