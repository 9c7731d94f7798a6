package duplex.guard;

import jakarta.servlet.http.HttpServletRequest;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The segments a request path may be read as, for rules that must hold whatever a container
 * makes of the path.
 *
 * <p>Why more than one reading: containers do not agree. Tomcat decodes the path, drops path
 * parameters ({@code ;x=1}), merges {@code //}, resolves {@code .} and {@code ..}, and its URI
 * template ignores a trailing empty segment ({@code /chat/staff-ops/} is {@code room=staff-ops});
 * Tyrus (Payara) matches the raw request URI decoded by {@code java.net.URI}, path parameters
 * included. A rule that reads the path one way only misses what another container maps. So a
 * rule is applied to every reading here and must be a superset of what any of them maps: it
 * may ask for more (a login for a path that would be 404 anyway), never for less.
 */
final class RequestPath {

    private RequestPath() {
    }

    /**
     * The readings of a servlet request's path within its context: the container's own
     * (servlet path plus path info, decoded and normalised by it) and ours of the raw URI.
     */
    static List<List<String>> readings(HttpServletRequest request) {
        List<List<String>> readings = new ArrayList<>();
        String mapped = (request.getServletPath() == null ? "" : request.getServletPath())
                + (request.getPathInfo() == null ? "" : request.getPathInfo());
        readings.add(segments(mapped));
        String raw = request.getRequestURI() == null ? "" : request.getRequestURI();
        String context = request.getContextPath() == null ? "" : request.getContextPath();
        List<String> rawSegments = segments(raw);
        if (!context.isEmpty() && raw.startsWith(context)) {
            readings.add(segments(raw.substring(context.length())));
        } else {
            int skip = Math.min(segments(context).size(), rawSegments.size());
            readings.add(rawSegments.subList(skip, rawSegments.size()));
        }
        return readings;
    }

    /**
     * A path as segments: percent-decoded until nothing changes (so an encoded {@code /} or
     * {@code \} splits too), split at {@code /} and {@code \}, empty and {@code .} segments
     * dropped, {@code ..} removing the segment before it. Path parameters are kept; see
     * {@link #withoutParameters}.
     */
    static List<String> segments(String path) {
        return segments(path, true);
    }

    /** As {@link #segments(String)}; without {@code resolveDots}, {@code ..} segments are dropped and remove nothing. */
    static List<String> segments(String path, boolean resolveDots) {
        String decoded = path;
        for (int i = 0; i < 4; i++) {
            String next = decode(decoded);
            if (next.equals(decoded)) {
                break;
            }
            decoded = next;
        }
        List<String> segments = new ArrayList<>();
        for (String segment : decoded.split("[/\\\\]")) {
            String bare = withoutParameters(segment);
            if (segment.isEmpty() || bare.equals(".")) {
                continue;
            }
            if (bare.equals("..")) {
                if (resolveDots && !segments.isEmpty()) {
                    segments.remove(segments.size() - 1);
                }
                continue;
            }
            segments.add(segment);
        }
        return segments;
    }

    /** A segment without its path parameters: {@code staff-ops;x=1} is {@code staff-ops}. */
    static String withoutParameters(String segment) {
        int semicolon = segment.indexOf(';');
        return semicolon < 0 ? segment : segment.substring(0, semicolon);
    }

    /** Percent-decoding as UTF-8; an escape that is not one is kept as it is. */
    static String decode(String text) {
        if (text.indexOf('%') < 0) {
            return text;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(text.length());
        int i = 0;
        while (i < text.length()) {
            int high = i + 2 < text.length() ? Character.digit(text.charAt(i + 1), 16) : -1;
            int low = i + 2 < text.length() ? Character.digit(text.charAt(i + 2), 16) : -1;
            if (text.charAt(i) == '%' && high >= 0 && low >= 0) {
                bytes.write(high * 16 + low);
                i += 3;
            } else {
                int codePoint = text.codePointAt(i);
                bytes.writeBytes(new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8));
                i += Character.charCount(codePoint);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
