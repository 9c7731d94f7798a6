package duplex.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.channels.Selector;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * One client thread with one selector, serving many connections: the load generator must not
 * be the bottleneck, so no thread per connection. Handlers run on this thread.
 */
final class IoLoop implements Runnable {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    final int index;
    final Selector selector;
    private final Thread thread;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private volatile boolean running = true;

    IoLoop(int index) {
        this.index = index;
        try {
            this.selector = Selector.open();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.thread = new Thread(this, "bench-io-" + index);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    void execute(Runnable task) {
        tasks.add(task);
        selector.wakeup();
    }

    /** CPU time this thread has used, in nanoseconds. */
    long cpuNanos() {
        return THREADS.getThreadCpuTime(thread.getId());
    }

    @Override
    public void run() {
        while (running) {
            try {
                // The consumer form, not selectedKeys(): that HashSet keeps the capacity of the
                // largest burst (1000 chat members ready at once), and every iterator over it
                // then walks all those empty buckets; in the chat scenario that walk was a third
                // of the load generator's CPU (JFR).
                selector.select(key -> ((Conn) key.attachment()).ready(key), 100);
                Runnable task;
                while ((task = tasks.poll()) != null) {
                    task.run();
                }
            } catch (IOException | RuntimeException e) {
                if (running) {
                    System.err.println("bench io loop " + index + ": " + e);
                }
            }
        }
    }

    void stop() {
        running = false;
        selector.wakeup();
        try {
            thread.join(5000);
            selector.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException ignored) {
            // closing at the end of the run
        }
    }
}
