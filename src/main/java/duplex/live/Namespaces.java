package duplex.live;

import duplex.protocol.Jsons;
import jakarta.json.JsonException;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Every namespace's policy, read once at start from a small JSON file (knob
 * {@code duplex.live.namespaces}) or, without one, from the defaults shipped in the WAR
 * ({@code duplex/live/namespaces.json}). A channel whose namespace is not listed does not exist:
 * subscribing or publishing to it is answered {@code not_found}.
 *
 * <pre>{"news": {"clientPublish": false, "history": 100, "historySeconds": 86400}, ...}</pre>
 *
 * Fields, all optional: {@code clientPublish} (false), {@code history} (0, at most
 * {@value #MAX_HISTORY}), {@code historySeconds} (3600), {@code presence} (false),
 * {@code conflate} (false), {@code authenticated} (false), {@code apiKeys} (every key). An unknown
 * field or a wrong type stops the start, with the namespace and field named: a typo in a policy
 * must not silently open a namespace.
 */
public final class Namespaces {

    public static final String DEFAULTS = "duplex/live/namespaces.json";
    public static final int MAX_HISTORY = 10_000;
    /** Reserved: the API's {@code chat:<room>} posts into that chat room. */
    public static final String CHAT = "chat";
    private static final Set<String> FIELDS = Set.of("clientPublish", "history", "historySeconds", "presence", "conflate",
            "authenticated", "apiKeys");

    private final Map<String, Namespace> byName;

    private Namespaces(Map<String, Namespace> byName) {
        this.byName = Map.copyOf(byName);
    }

    /** The policy of a channel's namespace, if the namespace exists. */
    public Optional<Namespace> of(ChannelName channel) {
        return Optional.ofNullable(byName.get(channel.namespace()));
    }

    public Map<String, Namespace> all() {
        return byName;
    }

    /** The namespaces of the file at {@code path}, or the shipped defaults when it is empty. */
    public static Namespaces load(String path) {
        if (path == null || path.isBlank()) {
            return defaults();
        }
        try (Reader reader = Files.newBufferedReader(Path.of(path), StandardCharsets.UTF_8)) {
            return parse(reader, path);
        } catch (IOException e) {
            throw new IllegalArgumentException("duplex.live.namespaces: cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    public static Namespaces defaults() {
        try (InputStream in = Namespaces.class.getClassLoader().getResourceAsStream(DEFAULTS)) {
            if (in == null) {
                throw new IllegalStateException(DEFAULTS + " is missing from the application");
            }
            return parse(new InputStreamReader(in, StandardCharsets.UTF_8), DEFAULTS);
        } catch (IOException e) {
            throw new IllegalStateException(DEFAULTS + ": " + e.getMessage(), e);
        }
    }

    public static Namespaces parse(String json) {
        return parse(new StringReader(json), "namespaces");
    }

    private static Namespaces parse(Reader source, String where) {
        JsonObject root;
        try (JsonReader reader = Jsons.createReader(source)) {
            root = reader.readObject();
        } catch (JsonException | IllegalStateException e) {
            throw new IllegalArgumentException(where + ": not a JSON object of namespaces: " + e.getMessage(), e);
        }
        Map<String, Namespace> byName = new LinkedHashMap<>();
        for (Map.Entry<String, JsonValue> entry : root.entrySet()) {
            String name = entry.getKey();
            if (ChannelName.parse(name).filter(c -> c.namespace().equals(name)).isEmpty()) {
                throw new IllegalArgumentException(where + ": \"" + name + "\" is not a namespace (" + ChannelName.RULE + ", no ':')");
            }
            if (name.equals(CHAT)) {
                throw new IllegalArgumentException(where + ": \"chat\" is reserved: chat:<room> is a chat room, whose rules are the chat's");
            }
            if (!(entry.getValue() instanceof JsonObject policy)) {
                throw new IllegalArgumentException(where + ": namespace \"" + name + "\" must be a JSON object");
            }
            byName.put(name, namespace(name, policy, where));
        }
        return new Namespaces(byName);
    }

    private static Namespace namespace(String name, JsonObject policy, String where) {
        for (String field : policy.keySet()) {
            if (!FIELDS.contains(field)) {
                throw new IllegalArgumentException(where + ": namespace \"" + name + "\" has an unknown field \"" + field
                        + "\"; known: " + String.join(", ", new java.util.TreeSet<>(FIELDS)));
            }
        }
        String at = where + ": namespace \"" + name + "\": ";
        return new Namespace(name,
                bool(policy, "clientPublish", at),
                (int) number(policy, "history", 0, 0, MAX_HISTORY, at),
                Duration.ofSeconds(number(policy, "historySeconds", 3600, 1, Duration.ofDays(365).toSeconds(), at)),
                bool(policy, "presence", at),
                bool(policy, "conflate", at),
                bool(policy, "authenticated", at),
                keys(policy, at));
    }

    private static boolean bool(JsonObject policy, String field, String at) {
        JsonValue value = policy.get(field);
        if (value == null) {
            return false;
        }
        if (value != JsonValue.TRUE && value != JsonValue.FALSE) {
            throw new IllegalArgumentException(at + "\"" + field + "\" must be true or false");
        }
        return value == JsonValue.TRUE;
    }

    private static long number(JsonObject policy, String field, long absent, long min, long max, String at) {
        JsonValue value = policy.get(field);
        if (value == null) {
            return absent;
        }
        if (!(value instanceof JsonNumber n) || !n.isIntegral() || n.bigDecimalValue().compareTo(java.math.BigDecimal.valueOf(min)) < 0
                || n.bigDecimalValue().compareTo(java.math.BigDecimal.valueOf(max)) > 0) {
            throw new IllegalArgumentException(at + "\"" + field + "\" must be a whole number from " + min + " to " + max);
        }
        return n.longValue();
    }

    private static Set<String> keys(JsonObject policy, String at) {
        JsonValue value = policy.get("apiKeys");
        if (value == null) {
            return Set.of();
        }
        Set<String> keys = new HashSet<>();
        if (value.getValueType() == JsonValue.ValueType.ARRAY) {
            for (JsonValue key : value.asJsonArray()) {
                if (!(key instanceof JsonString s) || s.getString().isBlank()) {
                    throw new IllegalArgumentException(at + "\"apiKeys\" must be an array of key names");
                }
                keys.add(s.getString());
            }
            if (!keys.isEmpty()) {
                return keys;
            }
        }
        throw new IllegalArgumentException(at + "\"apiKeys\" must be a non-empty array of key names");
    }
}
