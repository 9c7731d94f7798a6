package duplex.testing;

import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.websocket.server.WsSci;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The application as built, in a real servlet container: the exploded WAR ({@code target/duplex},
 * written by {@code package}, so failsafe always finds it) deployed at {@code /duplex} in a
 * Tomcat 11 of its own process ({@link WarServerMain}), on a loopback port the OS picks, with its
 * knobs from the environment given ({@code DUPLEX_REDIS_URL}, ...). Its output goes to
 * {@code target/cluster-logs/NAME.log}.
 *
 * <p>Why a process, when {@link TomcatServer} runs Tomcat inside the test JVM: here the
 * application must be exactly what is deployed, its classes and libraries loaded from the WAR by
 * the web application's own class loader, with nothing from the test class path (Tyrus, a second
 * WebSocket implementation, registers its own default configurator there). Several of them are
 * several nodes of a cluster (the container's configurator reaches the application through one
 * static reference per class loader). And a test may stop, kill and start the server again on the
 * same port while its clients (a browser, nginx) stay.
 */
public final class WarServer implements ServerUnderTest {

    /** Where the WAR plugin explodes the application; override with {@code -Dduplex.war.dir}. */
    public static final Path EXPLODED_WAR = Path.of(System.getProperty("duplex.war.dir", "target/duplex")).toAbsolutePath();
    private static final Path LOGGING = Path.of("src", "test", "resources", "node-logging.properties").toAbsolutePath();
    private static final long START_TIMEOUT_SECONDS = 90;
    private static final Pattern CONTROL = Pattern.compile("(SIDE|READY|FAILED|STOPPED)\\b.*");

    private final String name;
    private final Map<String, String> environment;
    private final Path baseDir;
    private final Path log;
    private int port;
    private ChildProcess process;
    private BlockingQueue<String> announcements;

    private WarServer(String name, Map<String, String> environment, Path baseDir) {
        this.name = name;
        this.environment = Map.copyOf(environment);
        this.baseDir = baseDir;
        this.log = ChildProcess.freshLog(name);
    }

    /** Deploys the exploded WAR on a free port and returns when it serves; see {@link ServerUnderTest#war}. */
    static WarServer start(String name, Map<String, String> environment) {
        if (!Files.isRegularFile(EXPLODED_WAR.resolve("WEB-INF/classes/duplex/app/Duplex.class"))) {
            throw new IllegalStateException("No exploded WAR at " + EXPLODED_WAR + ": run `mvn package` first (failsafe runs after it)");
        }
        try {
            Path target = Path.of("target").toAbsolutePath();
            Files.createDirectories(target);
            WarServer server = new WarServer(name, environment, Files.createTempDirectory(target, "tomcat-"));
            server.launch(0, null);
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String name() {
        return name;
    }

    public int port() {
        return port;
    }

    /** {@code http://localhost:PORT/duplex/}. */
    @Override
    public URI base() {
        return base(port);
    }

    /** Its console output, {@code target/cluster-logs/NAME.log} (restarts append). */
    public Path log() {
        return log;
    }

    /** The server's process id. */
    public synchronized long pid() {
        if (process == null) {
            throw new IllegalStateException(name + " is not running");
        }
        return process.pid();
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /**
     * Stops the server as an administrator would: the application is undeployed (its
     * connections get 1001 Going Away), Tomcat stops, the process exits and the port is free.
     * Its log is complete when this returns.
     */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        ChildProcess stopping = process;
        process = null;
        try {
            stopping.tell("STOP");
        } catch (IllegalStateException e) {
            // Already gone: nothing to stop.
        }
        try {
            if (!stopping.waitFor(Duration.ofSeconds(START_TIMEOUT_SECONDS))) {
                stopping.kill();
                throw new IllegalStateException(name + " did not stop within " + START_TIMEOUT_SECONDS + " s; killed it");
            }
            stopping.outputEnded().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping.kill();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(name + "'s output did not end", e);
        }
    }

    /** SIGKILL: the server dies as in a crash or an OOM kill; nothing of its own runs. */
    public synchronized void kill() {
        if (process != null) {
            process.kill();
            process = null;
        }
    }

    /** Starts a fresh server (a new deployment with empty state) on the same port, after {@link #stop} or {@link #kill}. */
    public void restart() {
        restart(null);
    }

    /**
     * Starts a fresh server on the same port, but first runs {@code meanwhile} against it through
     * a second, private port while the usual port still refuses connections. A test uses this to
     * act (send chat messages, say) before the clients of the usual port can reconnect, without
     * racing their reconnect timers.
     *
     * @param meanwhile given the base URI ({@code http://localhost:SIDE/duplex/}) of the private port
     */
    public synchronized void restart(Consumer<URI> meanwhile) {
        if (process != null) {
            throw new IllegalStateException("still running; stop() first");
        }
        launch(port, meanwhile);
    }

    @Override
    public void close() {
        stop();
    }

    private static URI base(int port) {
        return URI.create("http://localhost:" + port + WarServerMain.CONTEXT + "/");
    }

    private void launch(int wantedPort, Consumer<URI> meanwhile) {
        List<String> command = new ArrayList<>(List.of(ChildProcess.java(), "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-Djava.util.logging.config.file=" + LOGGING));
        command.addAll(ChildProcess.TOMCAT_ADD_OPENS);
        command.addAll(List.of("-cp", classPath(), WarServerMain.class.getName(),
                EXPLODED_WAR.toString(), baseDir.toString(), String.valueOf(wantedPort), String.valueOf(meanwhile != null)));
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        // Control lines (upper-case word, then a value) are picked out of the output on the way to the log.
        ChildProcess started = ChildProcess.launch(name, command).environment(environment).log(log)
                .onOutput(line -> {
                    if (CONTROL.matcher(line).matches()) {
                        lines.add(line);
                    }
                })
                .start();
        started.outputEnded().thenRun(() -> lines.add("EXITED"));
        this.process = started;
        this.announcements = lines;
        try {
            if (meanwhile != null) {
                int side = Integer.parseInt(await("SIDE"));
                meanwhile.accept(base(side));
                process.tell("OPEN");
            }
            this.port = Integer.parseInt(await("READY"));
        } catch (RuntimeException | Error e) {
            started.kill();
            process = null;
            throw e;
        }
    }

    private String await(String word) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
        try {
            while (true) {
                String line = announcements.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null) {
                    throw new IllegalStateException(name + " did not say " + word + " within " + START_TIMEOUT_SECONDS + " s; see " + log);
                }
                if (line.startsWith(word + " ")) {
                    return line.substring(word.length() + 1).trim();
                }
                if (line.startsWith("FAILED") || line.equals("EXITED")) {
                    throw new IllegalStateException(name + " failed to start: " + line + "; see " + log);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Tomcat's jars and the launcher class: nothing else from the test class path. */
    private static String classPath() {
        List<String> entries = new ArrayList<>();
        for (Class<?> type : List.of(WarServerMain.class, Tomcat.class, WsSci.class, jakarta.annotation.Resource.class)) {
            try {
                String entry = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
                if (!entries.contains(entry)) {
                    entries.add(entry);
                }
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
        return String.join(java.io.File.pathSeparator, entries);
    }
}
