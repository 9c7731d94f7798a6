package duplex.bus;

import io.lettuce.core.ScriptOutputType;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * One leadership: the lease {@code duplex:lease:NAME}, which this node competes for and renews
 * on the heartbeat thread, whether it leads, and the release of the lease when it stops.
 */
final class RedisLeadership implements Leadership {

    private static final System.Logger LOG = System.getLogger(RedisBus.class.getName());
    private static final String LEASE_PREFIX = RedisConnection.PREFIX + "lease:";

    private final RedisConnection redis;
    private final ExecutorService heartbeat;
    /** Removes this leadership from its bus; true the first time. */
    private final Predicate<RedisLeadership> unregister;
    private final String key;
    private final Leadership.Listener listener;
    private volatile boolean leader;
    private volatile boolean stopped;
    private long renewedAt;

    RedisLeadership(RedisConnection redis, ExecutorService heartbeat, String name, Leadership.Listener listener,
                    Predicate<RedisLeadership> unregister) {
        this.redis = redis;
        this.heartbeat = heartbeat;
        this.unregister = unregister;
        this.key = LEASE_PREFIX + name;
        this.listener = listener;
    }

    /** On the heartbeat thread. */
    void renew() {
        if (stopped) {
            return;
        }
        long now = System.nanoTime();
        RedisBus.Options options = redis.options();
        try {
            Object held = RedisBus.LEASE.call(redis, ScriptOutputType.INTEGER, new String[] {key},
                    redis.nodeId(), String.valueOf(options.nodeTimeout().toMillis()));
            if (Long.valueOf(1).equals(held)) {
                renewedAt = now;
                if (!leader) {
                    leader = true;
                    LOG.log(System.Logger.Level.INFO, "node {0} leads {1}", redis.nodeId(), key);
                    call(listener::elected);
                }
            } else if (leader) {
                demote("another node holds the lease");
            }
        } catch (RuntimeException e) {
            // Cannot renew: step down before the lease can expire in Redis and let another
            // node lead, so two nodes never run the job at once.
            if (leader && now - renewedAt >= options.nodeTimeout().minus(options.heartbeat()).toNanos()) {
                demote("lease not renewed: " + e.getMessage());
            }
        }
    }

    private void demote(String why) {
        leader = false;
        LOG.log(System.Logger.Level.INFO, "node {0} no longer leads {1}: {2}", redis.nodeId(), key, why);
        call(listener::demoted);
    }

    @Override
    public boolean isLeader() {
        return leader;
    }

    @Override
    public void close() {
        if (!unregister.test(this)) {
            return;
        }
        try {
            heartbeat.submit(() -> {
                stopped = true;
                if (leader) {
                    demote("closing");
                    try {
                        RedisBus.RELEASE.call(redis, ScriptOutputType.INTEGER, new String[] {key}, redis.nodeId());
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.DEBUG, "lease {0} not released: {1}", key, e.toString());
                    }
                }
            }).get(redis.options().timeout().toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | java.util.concurrent.RejectedExecutionException e) {
            LOG.log(System.Logger.Level.DEBUG, "lease {0}: close: {1}", key, e.toString());
        }
    }

    private static void call(Runnable callback) {
        try {
            callback.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "leadership listener failed: {0}", e.toString());
        }
    }
}
