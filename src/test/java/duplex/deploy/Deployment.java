package duplex.deploy;

import duplex.testing.ServerUnderTest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The life of one server for a deployment suite: start it with the WAR, point the protocol suites
 * at it ({@code -Dduplex.baseUrl}), then stop it and check its log, whatever the tests did. The
 * figures (start, suite and stop time) go to {@code target/servers/timings.txt} and the console.
 */
final class Deployment {

    /** The protocol suites that run against every server; tolerant of suites not written yet. */
    static final String SMOKE_SUITES = "^duplex\\.[a-z]+\\.(EchoIT|ChatIT|QuotesIT|DeployedWebappIT|OperationsIT|LiveDeployedIT)$";

    /** The API key every deployed server is started with, for the suites that push through the API. */
    static final String API_SECRET = "deployed-secret-0123456789";
    static final String API_KEYS = "suite=" + API_SECRET;

    private static final Duration START_TIMEOUT = Duration.ofMinutes(4); // Payara on a loaded 2-core machine: up to 2 min seen
    private static final Duration STOP_TIMEOUT = Duration.ofMinutes(1);

    private static boolean firstRecord = true;

    private final Supplier<ServerProcess> factory;
    private final boolean anySevereIsAProblem;
    private final boolean stopIsLogged;
    private ServerProcess server;
    private long suiteStarted;

    /**
     * @param anySevereIsAProblem whether any SEVERE line fails (Tomcat logs none when all is well)
     *                            or only those from our code (Payara logs its own at times)
     * @param stopIsLogged        whether the server still logs while it stops, so "Duplex stopped"
     *                            must be there (Payara's logging is shut down by then)
     */
    Deployment(Supplier<ServerProcess> factory, boolean anySevereIsAProblem, boolean stopIsLogged) {
        this.factory = factory;
        this.anySevereIsAProblem = anySevereIsAProblem;
        this.stopIsLogged = stopIsLogged;
    }

    void deploy() {
        server = ServerProcess.startFresh(factory, START_TIMEOUT);
        System.setProperty(ServerUnderTest.BASE_URL_PROPERTY, server.base().toString());
        suiteStarted = System.nanoTime();
    }

    void undeployAndCheckLog() {
        System.clearProperty(ServerUnderTest.BASE_URL_PROPERTY);
        if (server == null) {
            return;
        }
        Duration suite = Duration.ofNanos(System.nanoTime() - suiteStarted);
        // Clients the suites closed last may still be closing on the server. Stopping in the
        // middle of that makes Tomcat report the worker thread running our @OnClose as "started
        // by the web application"; the stop under load is TomcatLifecycleIT's business, here we
        // let the server finish what the suites left it first.
        server.awaitQuietLog(Duration.ofSeconds(1), Duration.ofSeconds(15));
        Duration stop;
        try {
            stop = server.stop(STOP_TIMEOUT);
        } finally {
            server.kill();
        }
        record(String.format(Locale.ROOT, "%-12s start %5.1f s   smoke suites %5.1f s   stop %4.1f s   log %s",
                server.name(), seconds(server.startTime()), seconds(suite), seconds(stop), server.log()));
        List<String> lines = server.logLines();
        assertTrue(lines.stream().anyMatch(l -> l.contains("Duplex started at /duplex")),
                server.name() + ": no 'Duplex started' in " + server.log());
        if (stopIsLogged) {
            assertTrue(lines.stream().anyMatch(l -> l.contains("Duplex stopped")),
                    server.name() + ": no 'Duplex stopped' in " + server.log() + ": the graceful stop did not run");
        }
        List<ServerLog.Problem> problems = ServerLog.problems(lines, anySevereIsAProblem);
        assertTrue(problems.isEmpty(), () -> ServerLog.describe(server, problems));
    }

    static double seconds(Duration duration) {
        return duration == null ? Double.NaN : duration.toMillis() / 1000.0;
    }

    /** One line of figures, to the console and to target/servers/timings.txt. */
    static synchronized void record(String line) {
        System.out.println("[deployment] " + line);
        try {
            Files.createDirectories(ServerProcess.serversDir());
            // The file holds this run's figures only: the first line of a run starts it afresh.
            Files.writeString(ServerProcess.serversDir().resolve("timings.txt"), line + System.lineSeparator(),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    firstRecord ? StandardOpenOption.TRUNCATE_EXISTING : StandardOpenOption.APPEND);
            firstRecord = false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
