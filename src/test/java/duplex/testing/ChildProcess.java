package duplex.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A program the tests start (redis-server, nginx, Tomcat or Payara Micro in a JVM of its own):
 * the one place they start a process. Its output goes to a log file, or line by line to the
 * test, which may wait for a line that says it is ready ({@link #start}). Stopped gracefully
 * ({@link #stop()}, SIGTERM, or a line on its standard input, {@link #tell}) or killed
 * ({@link #kill()}, SIGKILL, as a crash), and always killed with the JVM, so that a failed or
 * interrupted run never leaves a server behind.
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

    private static final Set<String> STARTED = ConcurrentHashMap.newKeySet();
    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(ChildProcess::killTree), "child-process-reaper"));
    }

    private final String name;
    private final Process process;
    private final CompletableFuture<Void> outputEnded = new CompletableFuture<>();
    private String readyLine;

    private ChildProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        RUNNING.add(process);
        process.onExit().thenRun(() -> RUNNING.remove(process));
    }

    /** How to start {@code command}: set what it needs, then {@link Launch#start()}. */
    public static Launch launch(String name, List<String> command) {
        return new Launch(name, command);
    }

    /**
     * Starts {@code command} with its output in {@code target/cluster-logs/NAME.log} (a fresh log
     * per test run; restarts append) and waits until a line of it satisfies {@code readyLine}.
     */
    public static ChildProcess start(String name, List<String> command, Map<String, String> environment,
                                     Predicate<String> readyLine, Duration timeout) {
        Path log = freshLog(name);
        CompletableFuture<String> ready = new CompletableFuture<>();
        ChildProcess child = launch(name, command).environment(environment).log(log)
                .onOutput(line -> {
                    if (!ready.isDone() && readyLine.test(line)) {
                        ready.complete(line);
                    }
                })
                .start();
        child.process.onExit().thenRun(() -> ready.completeExceptionally(
                new IllegalStateException(name + " exited with " + child.process.exitValue() + "; see " + log.toAbsolutePath())));
        try {
            child.readyLine = ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            child.process.destroyForcibly();
            throw new IllegalStateException(name + " not ready within " + timeout + ": " + e.getMessage()
                    + "; see " + log.toAbsolutePath(), e);
        }
        return child;
    }

    /** {@code target/cluster-logs/NAME.log}, emptied at the first start of NAME in this test run. */
    static Path freshLog(String name) {
        try {
            Files.createDirectories(LOGS);
            Path log = LOGS.resolve(name + ".log");
            if (STARTED.add(name)) {
                Files.deleteIfExists(log);
            }
            return log;
        } catch (IOException e) {
            throw new IllegalStateException("could not start " + name + ": " + e, e);
        }
    }

    /** What a process needs besides its command: environment, directory, where its output goes. */
    public static final class Launch {

        private final String name;
        private final List<String> command;
        private final Map<String, String> environment = new TreeMap<>();
        private Path directory;
        private Path log;
        private Consumer<String> output;
        private Consumer<String> errors;

        private Launch(String name, List<String> command) {
            this.name = name;
            this.command = List.copyOf(command);
        }

        public Launch environment(Map<String, String> variables) {
            environment.putAll(variables);
            return this;
        }

        /** The working directory; the test's own without this. */
        public Launch directory(Path dir) {
            this.directory = dir;
            return this;
        }

        /** Appends the output (and standard error, unless {@link #onErrors} takes it) to this file. */
        public Launch log(Path file) {
            this.log = file;
            return this;
        }

        /** Gives each line of standard output, as it comes, to {@code lines} (after writing it to the log, if any). */
        public Launch onOutput(Consumer<String> lines) {
            this.output = lines;
            return this;
        }

        /** Gives each line of standard error to {@code lines}; without this, standard error joins the output. */
        public Launch onErrors(Consumer<String> lines) {
            this.errors = lines;
            return this;
        }

        public ChildProcess start() {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(errors == null);
            if (directory != null) {
                builder.directory(directory.toFile());
            }
            builder.environment().putAll(environment);
            if (output == null) {
                // Straight into the file, byte for byte: nothing reads the lines on the way.
                builder.redirectOutput(log == null ? Redirect.DISCARD : Redirect.appendTo(log.toFile()));
            }
            ChildProcess child;
            try {
                child = new ChildProcess(name, builder.start());
            } catch (IOException e) {
                throw new UncheckedIOException("could not start " + name + " (" + command + ")", e);
            }
            if (output != null) {
                pump(child.process.getInputStream(), log, output, name + "-output", child.outputEnded);
            } else {
                child.process.onExit().thenRun(() -> child.outputEnded.complete(null));
            }
            if (errors != null) {
                pump(child.process.getErrorStream(), null, errors, name + "-errors", new CompletableFuture<>());
            }
            return child;
        }
    }

    /**
     * Runs a short command to its end and returns what it printed (standard error joined); fails
     * if it exits with other than 0 or does not end within {@code timeout} (then it is killed).
     */
    public static String run(String name, List<String> command, Duration timeout) {
        StringBuffer output = new StringBuffer();
        ChildProcess child = launch(name, command).onOutput(line -> output.append(line).append('\n')).start();
        try {
            if (!child.waitFor(timeout)) {
                child.kill();
                throw new IllegalStateException(name + " " + command + " did not end within " + timeout + ": " + output);
            }
            child.outputEnded.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            child.kill();
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(name + "'s output did not end", e);
        }
        if (child.exitValue() != 0) {
            throw new IllegalStateException(name + " " + command + " failed (" + child.exitValue() + "): " + output);
        }
        return output.toString();
    }

    private static void pump(InputStream from, Path log, Consumer<String> lines, String threadName, CompletableFuture<Void> ended) {
        Thread thread = new Thread(() -> {
            try (OutputStream file = log == null ? OutputStream.nullOutputStream()
                         : Files.newOutputStream(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                 BufferedReader reader = new BufferedReader(new InputStreamReader(from, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    file.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                    file.flush();
                    lines.accept(line);
                }
            } catch (IOException e) {
                // the process is gone
            } finally {
                ended.complete(null);
            }
        }, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    /** The line that said the process is ready (for {@link #start}). */
    public String readyLine() {
        return readyLine;
    }

    /** Completes when the process's standard output has ended, after its last line was handed on. */
    public CompletableFuture<Void> outputEnded() {
        return outputEnded;
    }

    /** Writes a line to the program's standard input. */
    public void tell(String line) {
        try {
            OutputStream in = process.getOutputStream();
            in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        } catch (IOException e) {
            throw new IllegalStateException(name + " is not listening: " + e, e);
        }
    }

    /** Waits for the program to exit by itself (after being told to). */
    public void awaitExit() {
        await();
    }

    /** Waits up to {@code timeout} for the program to exit; true if it has. */
    public boolean waitFor(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public int exitValue() {
        return process.exitValue();
    }

    public long pid() {
        return process.pid();
    }

    /** CPU time the process has used so far (user and system), or zero once it is gone. */
    public Duration cpuTime() {
        return process.toHandle().info().totalCpuDuration().orElse(Duration.ZERO);
    }

    /** SIGTERM, without waiting. */
    public void terminate() {
        process.destroy();
    }

    /** SIGTERM and wait: the program's own graceful stop. */
    public void stop() {
        terminate();
        await();
    }

    /** SIGKILL, to the program and whatever it started (nginx's workers): a crash, nothing runs on the way out. */
    public void kill() {
        killTree(process);
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void killTree(Process process) {
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
    }

    private void await() {
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                kill();
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
