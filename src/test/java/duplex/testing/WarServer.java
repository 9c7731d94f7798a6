package duplex.testing;

import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.websocket.server.WsSci;

import java.io.IOException;
import java.io.PrintStream;
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
 * Tomcat 11 of its own process ({@link EmbeddedTomcat}), on a loopback port the OS picks.
 *
 * <p>Why a process, when {@link TomcatServer} runs Tomcat inside the test JVM: here the
 * application must be exactly what is deployed, its classes and libraries loaded from the WAR by
 * the web application's own class loader, with nothing from the test class path (Tyrus, a second
 * WebSocket implementation, registers its own default configurator there). And a browser test
 * needs a real server stop and a start again on the same port while its pages stay open.
 */
public final class WarServer implements AutoCloseable {

    /** Where the WAR plugin explodes the application; override with {@code -Dduplex.war.dir}. */
    public static final Path EXPLODED_WAR = Path.of(System.getProperty("duplex.war.dir", "target/duplex")).toAbsolutePath();
    private static final long START_TIMEOUT_SECONDS = 60;
    private static final Pattern CONTROL = Pattern.compile("(SIDE|READY|FAILED|STOPPED)\\b.*");

    private final Path baseDir;
    private final Map<String, String> knobs;
    private int port;
    private ChildProcess process;
    private BlockingQueue<String> announcements;

    private WarServer(Path baseDir, Map<String, String> knobs) {
        this.baseDir = baseDir;
        this.knobs = Map.copyOf(knobs);
    }

    /** Deploys the exploded WAR on a free port and returns when it serves. */
    public static WarServer start() {
        return start(Map.of());
    }

    /**
     * As {@link #start()}, with these knobs ({@code duplex.api.keys -> demo=...}) as system
     * properties of the server's process, the first place the application looks; a
     * {@link #restart} keeps them.
     */
    public static WarServer start(Map<String, String> knobs) {
        if (!Files.isRegularFile(EXPLODED_WAR.resolve("WEB-INF/classes/duplex/app/Duplex.class"))) {
            throw new IllegalStateException("No exploded WAR at " + EXPLODED_WAR + ": run `mvn package` first (failsafe runs after it)");
        }
        try {
            Path target = Path.of("target").toAbsolutePath();
            Files.createDirectories(target);
            WarServer server = new WarServer(Files.createTempDirectory(target, "tomcat-"), knobs);
            server.launch(0, null);
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return port;
    }

    /** {@code http://localhost:PORT/duplex/} plus the path. */
    public URI http(String path) {
        return base(port).resolve(path.startsWith("/") ? path.substring(1) : path);
    }

    /** The same, as a {@code ws:} URI. */
    public URI ws(String path) {
        return URI.create("ws" + http(path).toString().substring("http".length()));
    }

    public boolean isRunning() {
        return process != null;
    }

    /**
     * Stops the server as an administrator would: the application is undeployed (its
     * connections get 1001 Going Away), Tomcat stops, the process exits and the port is free.
     */
    public void stop() {
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
                throw new IllegalStateException("Tomcat did not stop within " + START_TIMEOUT_SECONDS + " s; killed it");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping.kill();
        }
    }

    /** Starts a fresh server (a new deployment with empty state) on the same port. */
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
    public void restart(Consumer<URI> meanwhile) {
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
        return URI.create("http://localhost:" + port + EmbeddedTomcat.CONTEXT + "/");
    }

    private void launch(int wantedPort, Consumer<URI> meanwhile) {
        List<String> command = new ArrayList<>(List.of(ChildProcess.java(), "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        command.addAll(ChildProcess.TOMCAT_ADD_OPENS);
        String logging = System.getProperty("java.util.logging.config.file");
        if (logging != null) {
            command.add("-Djava.util.logging.config.file=" + logging);
        }
        knobs.forEach((knob, value) -> command.add("-D" + knob + "=" + value));
        command.addAll(List.of("-cp", classPath(), EmbeddedTomcat.class.getName(),
                EXPLODED_WAR.toString(), baseDir.toString(), String.valueOf(wantedPort), String.valueOf(meanwhile != null)));
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        // The process's log goes to this JVM's own streams, where the test report collects it;
        // control lines (upper-case word, then a value) are picked out on the way.
        PrintStream out = System.out;
        ChildProcess started = ChildProcess.launch("tomcat", command)
                .onOutput(line -> {
                    if (CONTROL.matcher(line).matches()) {
                        lines.add(line);
                    } else {
                        out.println(line);
                    }
                })
                .onErrors(System.err::println)
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
                    throw new IllegalStateException("Tomcat did not say " + word + " within " + START_TIMEOUT_SECONDS + " s");
                }
                if (line.startsWith(word + " ")) {
                    return line.substring(word.length() + 1).trim();
                }
                if (line.startsWith("FAILED") || line.equals("EXITED")) {
                    throw new IllegalStateException("Tomcat failed to start: " + line + " (see the log above)");
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
        for (Class<?> type : List.of(EmbeddedTomcat.class, Tomcat.class, WsSci.class, jakarta.annotation.Resource.class)) {
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
