package duplex.bus;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

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

    @SuppressWarnings("unchecked")
    <T> T call(RedisAsyncCommands<String, String> api, ScriptOutputType type, String[] keys, String... args) {
        CompletableFuture<Object> future = callAsync(api, type, keys, args);
        try {
            // The connection's own command timeout bounds this; the extra second is a backstop.
            return (T) future.get(api.getStatefulConnection().getTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BusUnavailableException("interrupted", e);
        } catch (ExecutionException e) {
            throw RedisConnection.unavailable("Redis", e.getCause());
        } catch (TimeoutException e) {
            throw new BusUnavailableException("Redis did not answer", e);
        }
    }
}
