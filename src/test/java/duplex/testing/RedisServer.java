package duplex.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Debian's redis-server as a child of the test, on a free loopback port, without persistence
 * (a restart loses every key, the harshest case for the cluster). {@link #stop()} and
 * {@link #start()} again on the same port simulate an outage.
 */
public final class RedisServer implements AutoCloseable {

    public static final String BINARY = "/usr/bin/redis-server";

    private final int port;
    private ChildProcess process;
    private int starts;

    private RedisServer(int port) {
        this.port = port;
    }

    /** True when redis-server is installed (.ci/run installs it). */
    public static boolean installed() {
        return Files.isExecutable(Path.of(BINARY));
    }

    public static RedisServer start(String name) {
        RedisServer server = new RedisServer(ChildProcess.freePort());
        server.name = name;
        server.start();
        return server;
    }

    private String name;

    public synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        starts++;
        process = ChildProcess.start(name + "-" + starts, List.of(BINARY,
                        "--port", String.valueOf(port), "--bind", "127.0.0.1",
                        "--save", "", "--appendonly", "no", "--protected-mode", "no",
                        "--loglevel", "notice"),
                Map.of(), line -> line.contains("Ready to accept connections"), Duration.ofSeconds(30));
    }

    /** A graceful shutdown (SIGTERM): connections are closed, data is gone. */
    public synchronized void stop() {
        if (process != null) {
            process.stop();
        }
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    @Override
    public synchronized void close() {
        if (process != null) {
            process.close();
        }
    }
}
