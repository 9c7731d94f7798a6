package duplex.bus;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;

import java.util.concurrent.CompletableFuture;

/**
 * A Lua script of the bus, run atomically by Redis: src/main/resources/duplex/bus/*.lua, whose
 * first lines say what their KEYS and ARGV are. Always sent whole with EVAL (Redis caches the
 * compiled form by its hash): EVALSHA with a fallback to EVAL would re-send a post that met
 * NOSCRIPT after later posts had already gone through, and so reorder one client's messages
 * after a Redis restart.
 */
final class RedisScript {
    private final String source;

    private RedisScript(String source) {
        this.source = source;
    }

    /** A script from the resources beside RedisBus, which loads them all with its class: a missing one fails that loading, not a call. */
    static RedisScript load(String name) {
        try (java.io.InputStream in = RedisBus.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("no Lua script " + name + " beside " + RedisBus.class.getName());
            }
            return new RedisScript(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    CompletableFuture<Object> callAsync(RedisAsyncCommands<String, String> api, ScriptOutputType type, String[] keys, String... args) {
        return api.<Object>eval(source, type, keys, args).toCompletableFuture();
    }

    /** {@link #callAsync}, waited for on the calling thread (one of the bus's) up to the command timeout. */
    @SuppressWarnings("unchecked")
    <T> T call(RedisConnection redis, ScriptOutputType type, String[] keys, String... args) {
        return (T) redis.await(callAsync(redis.api(), type, keys, args));
    }
}
