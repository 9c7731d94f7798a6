package duplex.testing;

import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.websocket.server.WsSci;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

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

    private final Path baseDir;
    private int port;
    private Process process;
    private BlockingQueue<String> announcements;

    private WarServer(Path baseDir) {
        this.baseDir = baseDir;
    }

    /** Deploys the exploded WAR on a free port and returns when it serves. */
    public static WarServer start() {
        if (!Files.isRegularFile(EXPLODED_WAR.resolve("WEB-INF/classes/duplex/app/Duplex.class"))) {
            throw new IllegalStateException("No exploded WAR at " + EXPLODED_WAR + ": run `mvn package` first (failsafe runs after it)");
        }
        try {
            Path target = Path.of("target").toAbsolutePath();
            Files.createDirectories(target);
            WarServer server = new WarServer(Files.createTempDirectory(target, "tomcat-"));
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
        Process stopping = process;
        process = null;
        try {
            OutputStream control = stopping.getOutputStream();
            control.write("STOP\n".getBytes(StandardCharsets.UTF_8));
            control.flush();
        } catch (IOException e) {
            // Already gone: nothing to stop.
        }
        try {
            if (!stopping.waitFor(START_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                stopping.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException("Tomcat did not stop within " + START_TIMEOUT_SECONDS + " s; killed it");
            }
        } catch (InterruptedException e) {
            stopping.destroyForcibly();
            Thread.currentThread().interrupt();
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
        command.addAll(List.of("-cp", classPath(), EmbeddedTomcat.class.getName(),
                EXPLODED_WAR.toString(), baseDir.toString(), String.valueOf(wantedPort), String.valueOf(meanwhile != null)));
        Process started;
        try {
            started = new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + command, e);
        }
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        // The process's log goes to this JVM's own streams, where the test report collects it;
        // control lines (upper-case word, then a value) are picked out on the way.
        forward(started.getInputStream(), System.out, lines, "tomcat-out");
        forward(started.getErrorStream(), System.err, null, "tomcat-err");
        this.process = started;
        this.announcements = lines;
        try {
            if (meanwhile != null) {
                int side = Integer.parseInt(await("SIDE"));
                meanwhile.accept(base(side));
                send("OPEN");
            }
            this.port = Integer.parseInt(await("READY"));
        } catch (RuntimeException | Error e) {
            started.destroyForcibly();
            process = null;
            throw e;
        }
    }

    private void send(String line) {
        try {
            process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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

    private static void forward(InputStream from, PrintStream to, BlockingQueue<String> control, String name) {
        Thread thread = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(from, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    if (control != null && line.matches("(SIDE|READY|FAILED|STOPPED)\\b.*")) {
                        control.add(line);
                    } else {
                        to.println(line);
                    }
                }
            } catch (IOException e) {
                // The process is gone.
            } finally {
                if (control != null) {
                    control.add("EXITED");
                }
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
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
