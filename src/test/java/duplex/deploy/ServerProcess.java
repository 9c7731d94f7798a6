package duplex.deploy;

import duplex.testing.ChildProcess;
import duplex.testing.ServerUnderTest;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One application server run as a child process, with the Duplex WAR deployed at /duplex, on a
 * free port, its whole console output kept in {@code target/servers/NAME/server.log}.
 *
 * <p>Stopping sends SIGTERM, the signal {@code docker stop} and Ctrl+C send: the servers' own
 * shutdown hooks then undeploy the application, which is the graceful path we want to prove.
 * {@link ChildProcess} kills whatever a test left running when the JVM exits, so a failed or
 * interrupted run never leaves a server behind.
 */
public abstract class ServerProcess implements ServerUnderTest {

    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;]*m");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    protected final String name;
    protected final Path dir;
    protected final Path log;
    protected final int port;
    private ChildProcess process;
    private Duration startTime;

    protected ServerProcess(String name) {
        this.name = name;
        this.dir = serversDir().resolve(name);
        this.log = dir.resolve("server.log");
        this.port = ChildProcess.freePort();
    }

    /**
     * A server of this kind, not started: {@code tomcat11}, {@code tomcat10} or {@code payara},
     * with these Duplex knobs ({@code duplex.x -> value}).
     */
    public static ServerProcess of(String kind, String name, Map<String, String> knobs) {
        ServerProcess server = switch (kind) {
            case "tomcat11" -> TomcatDistribution.tomcat11(name);
            case "tomcat10" -> TomcatDistribution.tomcat10(name);
            case "payara" -> new PayaraMicroServer(name);
            default -> throw new IllegalArgumentException("tomcat11, tomcat10 or payara, not " + kind);
        };
        knobs.forEach(server::knob);
        return server;
    }

    /** Sets a Duplex knob ({@code duplex.x}) for the server, the way this server passes it on. */
    public abstract ServerProcess knob(String name, String value);

    /** The command line that starts the server on {@link #port} with the WAR deployed. */
    protected abstract List<String> command() throws IOException;

    /** Extra environment for the server process. */
    protected Map<String, String> environment() {
        return Map.of();
    }

    @Override
    public String name() {
        return name;
    }

    public Path log() {
        return log;
    }

    public int port() {
        return port;
    }

    @Override
    public URI base() {
        return URI.create("http://localhost:" + port + "/duplex/");
    }

    /** From launch to the first page served by the application. */
    public Duration startTime() {
        return startTime;
    }

    /** CPU time the server process has used so far (user and system), or zero if it is not running. */
    public Duration cpuTime() {
        return process == null ? Duration.ZERO : process.cpuTime();
    }

    /** The server's process id (its JVM's: every server here is started as {@code java ...}). */
    public long pid() {
        if (process == null) {
            throw new IllegalStateException(name + " is not running");
        }
        return process.pid();
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /**
     * Starts the server and waits until the application serves its index page. A server that
     * exits or does not get there in time is killed, and the failure quotes the end of its log.
     */
    public ServerProcess start(Duration timeout) {
        long began = System.nanoTime();
        launch();
        try {
            // An exception thrown by the condition ends the wait at once and reaches the caller as it is.
            Awaitility.await(name + " serving " + base()).atMost(timeout).pollInterval(Duration.ofMillis(200))
                    .pollInSameThread().until(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException(name + " exited with " + process.exitValue() + " while starting:\n" + tail(40));
                        }
                        if (logLines().stream().anyMatch(line -> line.contains("Address already in use"))) {
                            kill();
                            throw new PortTaken(name + ": port " + port + " was taken between choosing it and binding it");
                        }
                        return status(base()) == 200;
                    });
        } catch (ConditionTimeoutException e) {
            kill();
            throw new IllegalStateException(name + " did not serve " + base() + " within " + timeout + ":\n" + tail(40));
        }
        startTime = Duration.ofNanos(System.nanoTime() - began);
        return this;
    }

    /**
     * Starts a server from the factory; if another process took its free port before it bound it
     * (a shared machine), starts a new one on another port, up to three times.
     */
    public static <S extends ServerProcess> S startFresh(java.util.function.Supplier<S> factory, Duration timeout) {
        for (int attempt = 1; ; attempt++) {
            S server = factory.get();
            try {
                server.start(timeout);
                return server;
            } catch (PortTaken e) {
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }

    /** The chosen port was bound by someone else first. */
    static final class PortTaken extends IllegalStateException {
        PortTaken(String message) {
            super(message);
        }
    }

    /** Starts the server without waiting for the application (for deployments expected to fail). */
    public ServerProcess launch() {
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(log);
            process = ChildProcess.launch(name, command()).directory(dir).environment(environment()).log(log).start();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + name, e);
        }
    }

    /**
     * Graceful stop (SIGTERM) and wait for the process to end; killed past the timeout, which
     * then fails: a server that does not stop on SIGTERM is a bug worth seeing.
     *
     * @return how long the stop took
     */
    public Duration stop(Duration timeout) {
        if (process == null) {
            return Duration.ZERO;
        }
        long began = System.nanoTime();
        process.terminate();
        try {
            if (!process.waitFor(timeout)) {
                kill();
                throw new IllegalStateException(name + " did not stop within " + timeout + " of SIGTERM; killed");
            }
        } catch (InterruptedException e) {
            kill();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping " + name, e);
        }
        return Duration.ofNanos(System.nanoTime() - began);
    }

    public void kill() {
        if (process != null) {
            process.kill();
        }
    }

    /** Stops the server if it still runs; never throws, for finally blocks. */
    @Override
    public void close() {
        if (isRunning()) {
            try {
                stop(Duration.ofSeconds(60));
            } catch (RuntimeException e) {
                kill();
            }
        }
    }

    /** The log as lines, without the ANSI colours Payara puts around levels. */
    public List<String> logLines() {
        if (!Files.exists(log)) {
            return List.of();
        }
        try {
            // Decoded leniently: a server may write bytes that are not UTF-8, and the log must still be read.
            String text = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
            return ANSI.matcher(text).replaceAll("").lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Waits until the log has not grown for {@code quiet} (at most {@code max}): the server has
     * finished what the clients left it, such as the close handshakes of clients that just left.
     */
    public void awaitQuietLog(Duration quiet, Duration max) {
        long[] size = {-1};
        long[] stableSince = {System.nanoTime()};
        try {
            Awaitility.await(name + "'s log quiet for " + quiet).atMost(max).pollInterval(Duration.ofMillis(50))
                    .pollInSameThread().until(() -> {
                        long now = log.toFile().length();
                        if (now != size[0]) {
                            size[0] = now;
                            stableSince[0] = System.nanoTime();
                            return false;
                        }
                        return System.nanoTime() - stableSince[0] >= quiet.toNanos();
                    });
        } catch (ConditionTimeoutException e) {
            // Still growing after max: the caller goes on with what there is.
        }
    }

    /** Waits until a line containing {@code text} is in the log. */
    public boolean awaitLog(String text, Duration timeout) {
        return awaitQuietly(name + "'s log saying " + text, timeout, Duration.ofMillis(100),
                () -> logLines().stream().anyMatch(line -> line.contains(text)));
    }

    /** Waits for the condition, polling; false instead of an exception when it does not hold in time. */
    static boolean awaitQuietly(String what, Duration timeout, Duration poll, java.util.concurrent.Callable<Boolean> condition) {
        try {
            Awaitility.await(what).atMost(timeout).pollInterval(poll).pollInSameThread().until(condition);
            return true;
        } catch (ConditionTimeoutException e) {
            return false;
        }
    }

    public String tail(int lines) {
        List<String> all = logLines();
        return String.join("\n", new ArrayList<>(all.subList(Math.max(0, all.size() - lines), all.size())));
    }

    /** The HTTP status of a GET, or -1 if nothing answered. */
    public static int status(URI uri) {
        try {
            // Generous: a server still booting on a loaded machine answers late, and a probe that
            // gives up makes the server log a write to a closed connection.
            HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build();
            return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Deletes a directory and everything in it, if it exists (a server's base from an earlier run). */
    static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> all = Files.walk(path)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    static Path war() {
        return Path.of(required("duplex.war"));
    }

    static Path serversDir() {
        return Path.of(required("duplex.servers.dir"));
    }

    static String required(String property) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + property + " is not set (the failsafe configuration in pom.xml sets it)");
        }
        return value;
    }
}
