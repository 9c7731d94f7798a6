package duplex.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A server under test: how to start it, where its echo and chat live, what its chat speaks. */
abstract class Target {

    /** How a chat client says something, and whether the server speaks at all. */
    enum Chat { NONE, RAW, DUPLEX_JSON }

    final String name;
    final String description;

    Target(String name, String description) {
        this.name = name;
        this.description = description;
    }

    /** Why this target cannot run here (missing runtime or package), or null when it can. */
    String unavailable(Bench.Env env) {
        return null;
    }

    abstract List<String> command(Bench.Env env, int port) throws IOException;

    abstract String echoPath();

    /** Where the server serves Prometheus metrics (scraped after its scenarios), or null. */
    String metricsPath() {
        return null;
    }

    Chat chat() {
        return Chat.NONE;
    }

    String chatPath(int member) {
        throw new UnsupportedOperationException(name + " has no chat");
    }

    boolean jvm() {
        return false;
    }

    /**
     * Where a backend POSTs a publication ({@code /api/publish}), or null when the server has no
     * push API (the peers, and Duplex without servlets); then the push API scenario is n/a.
     */
    String apiPublishPath() {
        return null;
    }

    /** The {@code /live} endpoint whose channels the push API publishes into. */
    String livePath() {
        throw new UnsupportedOperationException(name + " has no /live");
    }

    /** Extra environment variables for the server process. */
    java.util.Map<String, String> environment(Bench.Env env) {
        return java.util.Map.of();
    }

    /** Versions of what runs, for the report. */
    abstract String version(Bench.Env env);

    /** A started server process. */
    static final class Running implements AutoCloseable {
        final Target target;
        final Process process;
        final int port;
        final Path log;

        Running(Target target, Process process, int port, Path log) {
            this.target = target;
            this.process = process;
            this.port = port;
            this.log = log;
        }

        long pid() {
            return process.pid();
        }

        URI uri(String path) {
            return URI.create("ws://127.0.0.1:" + port + path);
        }

        URI http(String path) {
            return URI.create("http://127.0.0.1:" + port + path);
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    Running start(Bench.Env env) throws IOException {
        int port = freePort();
        Path log = env.dir().resolve("logs").resolve(name + ".log");
        Files.createDirectories(log.getParent());
        ProcessBuilder builder = new ProcessBuilder(command(env, port))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.directory(env.dir().toFile());
        builder.environment().putAll(environment(env));
        Process process = builder.start();
        Running running = new Running(this, process, port, log);
        try {
            awaitReady(running, Duration.ofSeconds(120));
        } catch (IOException | RuntimeException e) {
            running.close();
            throw e;
        }
        return running;
    }

    /** Ready when a WebSocket handshake on the echo path is answered with 101. */
    private void awaitReady(Running running, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!running.process.isAlive()) {
                throw new IOException(name + " exited with " + running.process.exitValue() + "; see " + running.log);
            }
            try (Socket socket = new Socket("127.0.0.1", running.port)) {
                socket.setSoTimeout(5000);
                OutputStream out = socket.getOutputStream();
                out.write(("GET " + echoPath() + " HTTP/1.1\r\nHost: 127.0.0.1:" + running.port
                        + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                InputStream in = socket.getInputStream();
                byte[] head = new byte[12];
                int n = in.readNBytes(head, 0, 12);
                last = new String(head, 0, n, StandardCharsets.ISO_8859_1);
                if (last.startsWith("HTTP/1.1 101")) {
                    return;
                }
            } catch (IOException e) {
                last = e.toString();
            }
            Engine.sleepMillis(200);
        }
        throw new IOException(name + " not ready within " + timeout.toSeconds() + " s: " + last + "; see " + running.log);
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** JVM options every Java server gets, so they are compared on the same footing. */
    List<String> javaCommand(Bench.Env env) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // "default": the JVM's own heap sizing and collector, as the README's run command starts Tomcat.
        if (!"default".equals(env.serverHeap())) {
            command.add("-Xmx" + env.serverHeap());
            command.add("-XX:+UseG1GC");
        }
        command.addAll(env.serverJvmArgs());
        if (env.jfr() != null) {
            command.add("-XX:StartFlightRecording=filename=" + env.jfr().resolve(name + ".jfr") + ",settings=" + Bench.Options.prop("bench.jfr-settings", "profile"));
        }
        return command;
    }
}
