package duplex.bus;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Every thread the Redis bus starts, each named and recorded here so that closing joins it:
 * the events thread (pub/sub messages and room loads, in order), the heartbeat thread (the
 * heartbeat and the leases), the commands thread (Lettuce commands, in order) and short-lived
 * lifecycle threads (Lettuce's start and shutdown). Lettuce's own Netty threads are not here:
 * its client resources start and await them.
 */
final class BusThreads {

    private static final System.Logger LOG = System.getLogger(RedisBus.class.getName());

    /** Threads started by {@link #named} that may still be alive; see {@link #join}. */
    private final Set<Thread> started = ConcurrentHashMap.newKeySet();
    private final ExecutorService events = Executors.newSingleThreadExecutor(named("duplex-bus-events"));
    private final ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(named("duplex-bus-heartbeat"));
    /**
     * Every Lettuce call is made from a thread the bus owns, never from a container thread:
     * Netty leaves thread-locals on any thread that writes to a channel, and Tomcat reports
     * those as leaks when the application is undeployed. One thread keeps posts in order.
     */
    private final ExecutorService commands = Executors.newSingleThreadExecutor(named("duplex-bus-commands"));

    /** Where pub/sub messages are handled, one at a time, in the order Redis sent them. */
    ExecutorService events() {
        return events;
    }

    /** Where the heartbeat runs, and the leases are competed for, renewed and released. */
    ScheduledExecutorService heartbeat() {
        return heartbeat;
    }

    /** Where every Lettuce command is submitted; see the field. */
    ExecutorService commands() {
        return commands;
    }

    /** Runs a Lettuce lifecycle step on a short-lived thread of ours, so no container thread keeps Netty state. */
    <T> T onOwnThread(Supplier<T> step) {
        CompletableFuture<T> result = new CompletableFuture<>();
        named("duplex-bus-lifecycle").newThread(() -> {
            try {
                result.complete(step.get());
            } catch (RuntimeException | Error e) {
                result.completeExceptionally(e);
            }
        }).start();
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    /** Stops the heartbeat at once: nothing is renewed or re-announced from here on. */
    void stopHeartbeat() {
        heartbeat.shutdownNow();
    }

    /**
     * Lets the commands and events threads finish what is queued (the last removals and
     * events), waits up to two seconds for each executor, then drops what events remain.
     */
    void drain() {
        commands.shutdown();
        events.shutdown();
        try {
            events.awaitTermination(2, TimeUnit.SECONDS);
            heartbeat.awaitTermination(2, TimeUnit.SECONDS);
            commands.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        events.shutdownNow();
    }

    /**
     * Waits, up to two seconds in all, for every thread started here to end; names any that
     * did not. Executors report termination when their last worker has left its loop, a moment
     * before the thread itself ends; Tomcat checks for live threads right after undeploy and
     * would report that moment as a leak.
     */
    void join() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        for (Thread thread : started) {
            try {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (thread.isAlive()) {
                LOG.log(System.Logger.Level.WARNING, "thread {0} did not end on close", thread.getName());
            }
        }
    }

    /** A factory of daemon threads called {@code name}, each recorded for {@link #join}. */
    private ThreadFactory named(String name) {
        return runnable -> {
            // Executors replace dead workers: forget the ended ones (not the ones not yet started).
            started.removeIf(t -> t.getState() == Thread.State.TERMINATED);
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            started.add(thread);
            return thread;
        };
    }
}
