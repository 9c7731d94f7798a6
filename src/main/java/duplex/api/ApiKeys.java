package duplex.api;

import duplex.guard.Secret;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The keys backends present to the HTTP API ({@code Authorization: Bearer <secret>}), from the
 * knob {@code duplex.api.keys}: comma-separated {@code name=secret} pairs. The name is what
 * namespaces grant and logs show; the secret is compared in constant time and never logged.
 */
public final class ApiKeys {

    public static final int MIN_SECRET_CHARS = 16;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private record Key(String name, byte[] digest) {
    }

    private final List<Key> keys;

    private ApiKeys(List<Key> keys) {
        this.keys = List.copyOf(keys);
    }

    /** @throws IllegalArgumentException naming the pair that is wrong (by position and name, never by secret) */
    public static ApiKeys parse(Secret raw) {
        List<Key> keys = new ArrayList<>();
        if (!raw.isSet()) {
            return new ApiKeys(keys);
        }
        String[] pairs = raw.value().split(",");
        for (int i = 0; i < pairs.length; i++) {
            String pair = pairs[i].strip();
            int eq = pair.indexOf('=');
            String name = eq < 0 ? "" : pair.substring(0, eq).strip();
            String secret = eq < 0 ? "" : pair.substring(eq + 1).strip();
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("pair " + (i + 1) + " is not name=secret with a name of 1 to 64 of A-Z a-z 0-9 _ . -");
            }
            if (secret.length() < MIN_SECRET_CHARS) {
                throw new IllegalArgumentException("the secret of key " + name + " is shorter than " + MIN_SECRET_CHARS + " characters");
            }
            for (Key key : keys) {
                if (key.name().equals(name)) {
                    throw new IllegalArgumentException("key " + name + " is named twice");
                }
            }
            keys.add(new Key(name, digest(secret)));
        }
        return new ApiKeys(keys);
    }

    /** No key configured: the API is off. */
    public boolean isEmpty() {
        return keys.isEmpty();
    }

    /**
     * The name of the key whose secret this is. Every key is compared, each in constant time
     * over digests of equal length, so the time taken says nothing about how much matched.
     */
    public Optional<String> nameOf(String presented) {
        byte[] digest = digest(presented);
        String found = null;
        for (Key key : keys) {
            if (MessageDigest.isEqual(key.digest(), digest)) {
                found = key.name();
            }
        }
        return Optional.ofNullable(found);
    }

    private static byte[] digest(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
