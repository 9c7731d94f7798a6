package duplex.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A program the tests start (redis-server, nginx, a Tomcat node): its output goes to a log file
 * under target/ and is watched for a line that says it is ready. Stopped gracefully
 * ({@link #stop()}, SIGTERM) or killed ({@link #kill()}, SIGKILL, as a crash), and always
 * killed with the JVM.
 */
public final class ChildProcess implements AutoCloseable {

    public static final Path LOGS = Path.of("target", "cluster-logs");

    /**
     * The module options {@code catalina.sh} adds for Tomcat (10.1 and 11 alike), for every JVM the
     * tests start Tomcat in: Tomcat's leak detection on undeploy reaches into these JDK internals by
     * reflection (the threads, thread-locals, timers, executors and RMI targets an application left
     * behind), and without them it only warns when the application stops.
     */
    public static final List<String> TOMCAT_ADD_OPENS = List.of(
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.rmi/sun.rmi.transport=ALL-UNNAMED");
    private static final java.util.Set<String> STARTED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final String name;
    private final Process process;
    private final Path log;
    private final CompletableFuture<String> ready = new CompletableFuture<>();

    private ChildProcess(String name, Process process, Path log, Predicate<String> readyLine) {
        this.name = name;
        this.process = process;
        this.log = log;
        Thread pump = new Thread(() -> pump(process.getInputStream(), readyLine), name + "-output");
        pump.setDaemon(true);
        pump.start();
        process.onExit().thenRun(() -> ready.completeExceptionally(
                new IllegalStateException(name + " exited with " + process.exitValue() + "; see " + log.toAbsolutePath())));
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
    }

    /** Starts {@code command} and waits until a line of its output satisfies {@code readyLine}. */
    public static ChildProcess start(String name, List<String> command, Map<String, String> environment,
                                     Predicate<String> readyLine, Duration timeout) {
        try {
            Files.createDirectories(LOGS);
            Path log = LOGS.resolve(name + ".log");
            if (STARTED.add(name)) {
                Files.deleteIfExists(log); // a fresh log per test run; restarts append
            }
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().putAll(environment);
            ChildProcess child = new ChildProcess(name, builder.start(), log, readyLine);
            child.awaitReady(timeout);
            return child;
        } catch (IOException e) {
            throw new IllegalStateException("could not start " + name + ": " + e, e);
        }
    }

    /** The line that said the process is ready. */
    public String readyLine() {
        return ready.getNow(null);
    }

    private void awaitReady(Duration timeout) {
        try {
            ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
            throw new IllegalStateException(name + " not ready within " + timeout + ": " + e.getMessage()
                    + "; see " + log.toAbsolutePath(), e);
        }
    }

    private void pump(InputStream output, Predicate<String> readyLine) {
        try (OutputStream file = Files.newOutputStream(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
             var reader = new java.io.BufferedReader(new java.io.InputStreamReader(output, java.nio.charset.StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                file.write((line + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                file.flush();
                if (!ready.isDone() && readyLine.test(line)) {
                    ready.complete(line);
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
    }

    /** Writes a line to the program's standard input. */
    public void tell(String line) {
        try {
            OutputStream in = process.getOutputStream();
            in.write((line + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            in.flush();
        } catch (IOException e) {
            throw new IllegalStateException(name + " is not listening: " + e, e);
        }
    }

    /** Waits for the program to exit by itself (after being told to). */
    public void awaitExit() {
        await();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    /** SIGTERM and wait: the program's own graceful stop. */
    public void stop() {
        process.destroy();
        await();
    }

    /** SIGKILL: a crash, nothing runs on the way out. */
    public void kill() {
        process.destroyForcibly();
        await();
    }

    private void await() {
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }

    /** The {@code java} launcher of the JVM running the tests, for the JVMs they start. */
    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** A port free right now on the loopback (for programs that cannot report the one they chose). */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
