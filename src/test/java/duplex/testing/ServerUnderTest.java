package duplex.testing;

import duplex.app.Duplex;
import duplex.deploy.ServerProcess;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * A running Duplex a test talks to, whatever runs it: embedded Tyrus ({@link TyrusServer}), the
 * exploded WAR on Tomcat in this JVM ({@link TomcatServer}) or in a child JVM ({@link WarServer}),
 * a Tomcat 11/10.1 distribution or Payara Micro in a process of its own
 * ({@link duplex.deploy.ServerProcess}), or a server deployed elsewhere ({@value #BASE_URL_PROPERTY}).
 * What only some of them can do (restart, kill, their log, the running {@link Duplex}) is on
 * their own classes, or {@link InJvm}.
 *
 * <p>{@link #configured} starts the one the configuration names ({@link ServerUnderTestExtension}
 * does that once per test class); the other factories give an embedded server with knobs of its own.
 */
public interface ServerUnderTest extends AutoCloseable {

    /** A server deployed elsewhere, {@code http://host:port/context/}: the protocol suites then run against it. */
    String BASE_URL_PROPERTY = "duplex.baseUrl";
    /** Which server {@link #configured} starts: {@code tyrus} (the default), {@code tomcat}, {@code war}, {@code tomcat11}, {@code tomcat10} or {@code payara}. */
    String KIND_PROPERTY = "duplex.server";

    /** Who this server is, in logs, reports and file names. */
    String name();

    /** Where Duplex is: {@code http://host:port/context/}. */
    URI base();

    default URI http(String path) {
        return base().resolve(path.startsWith("/") ? path.substring(1) : path);
    }

    default URI ws(String path) {
        URI http = http(path);
        String scheme = http.getScheme().equals("https") ? "wss" : "ws";
        return URI.create(scheme + http.toString().substring(http.getScheme().length()));
    }

    /** Stops the server gracefully (its clients see 1001), if this test started it. */
    @Override
    void close();

    /** A server in this JVM, whose composition root the test can look into. */
    interface InJvm extends ServerUnderTest {
        Duplex duplex();
    }

    /** The server deployed elsewhere that {@value #BASE_URL_PROPERTY} names, if any. */
    static Optional<URI> deployed() {
        return Optional.ofNullable(System.getProperty(BASE_URL_PROPERTY))
                .filter(s -> !s.isBlank())
                .map(s -> URI.create(s.endsWith("/") ? s : s + "/"));
    }

    /**
     * The server the configuration names, with default settings: the deployed one given
     * {@value #BASE_URL_PROPERTY}, else a new one of the kind {@value #KIND_PROPERTY} says.
     *
     * @param name     what a new server is called (its log's name)
     * @param servlets whether the caller needs the servlets and pages, which embedded Tyrus does not
     *                 serve: then {@code tyrus} means the WAR on Tomcat in this JVM
     */
    static ServerUnderTest configured(String name, boolean servlets) {
        Optional<URI> deployed = deployed();
        if (deployed.isPresent()) {
            return new DeployedServer(deployed.get());
        }
        String kind = System.getProperty(KIND_PROPERTY, "tyrus");
        return switch (kind) {
            case "tyrus" -> servlets ? tomcat(Map.of()) : tyrus(Map.of());
            case "tomcat" -> tomcat(Map.of());
            case "war" -> war(name, Map.of());
            case "tomcat11", "tomcat10", "payara" ->
                    ServerProcess.startFresh(() -> ServerProcess.of(kind, kind + "-" + name, Map.of()), Duration.ofMinutes(4));
            default -> throw new IllegalArgumentException(KIND_PROPERTY + ": tyrus, tomcat, war, tomcat11, tomcat10 or payara, not " + kind);
        };
    }

    /** Embedded Tyrus with these knobs ({@code duplex.x -> value}), always: for tests that need their own settings. */
    static TyrusServer tyrus(Map<String, String> knobs) {
        return TyrusServer.start(knobs);
    }

    /** The exploded WAR on Tomcat in this JVM, with these knobs as context parameters. */
    static TomcatServer tomcat(Map<String, String> knobs) {
        return TomcatServer.war(knobs, null);
    }

    /** As {@link #tomcat(Map)}, with a users file ({@code tomcat-users.xml} format) as the context's realm. */
    static TomcatServer tomcat(Map<String, String> knobs, Path usersFile) {
        return TomcatServer.war(knobs, usersFile);
    }

    /** The exploded WAR on Tomcat in a child JVM with this environment ({@code DUPLEX_X -> value}); restartable. */
    static WarServer war(String name, Map<String, String> environment) {
        return WarServer.start(name, environment);
    }
}
