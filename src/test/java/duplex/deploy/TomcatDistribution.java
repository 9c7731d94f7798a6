package duplex.deploy;

import duplex.testing.ChildProcess;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Apache Tomcat from its Maven Central distribution, run the way {@code catalina.sh run} runs it,
 * with a base directory of its own under {@code target/servers/NAME}: the repository's
 * {@code deploy/server.xml} (the file docker-compose.yml ships) and the WAR copied into
 * {@code webapps/}, as a user would deploy it.
 */
public final class TomcatDistribution extends ServerProcess {

    private final Path home;
    private final Path base;
    private final Map<String, String> systemProperties = new TreeMap<>();

    private TomcatDistribution(String name, Path home) {
        super(name);
        this.home = home;
        this.base = dir.resolve("base");
    }

    public static TomcatDistribution tomcat11(String name) {
        return new TomcatDistribution(name, Path.of(required("duplex.tomcat11.home")));
    }

    public static TomcatDistribution tomcat10(String name) {
        return new TomcatDistribution(name, Path.of(required("duplex.tomcat10.home")));
    }

    /** A -D option for Tomcat's JVM: a Duplex knob, or a substitution in server.xml. */
    public TomcatDistribution systemProperty(String name, String value) {
        systemProperties.put(name, value);
        return this;
    }

    /** A Duplex knob, as a -D option. */
    @Override
    public TomcatDistribution knob(String name, String value) {
        return systemProperty(name, value);
    }

    public Path deployedWar() {
        return base.resolve("webapps").resolve("duplex.war");
    }

    /** Removes the WAR from webapps/: Tomcat's auto-deployer then undeploys the application. */
    public void undeploy() {
        try {
            Files.delete(deployedWar());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies the WAR into webapps/ again: the auto-deployer deploys it. */
    public void redeploy() {
        copy(war(), deployedWar());
    }

    @Override
    protected List<String> command() throws IOException {
        prepareBase();
        List<String> command = new ArrayList<>(List.of(ChildProcess.java(), "-Xmx1g"));
        // By hand, to see where a server's time goes: -Dserver.jfr=/abs/path/recording.jfr
        String jfr = System.getProperty("server.jfr", "");
        if (!jfr.isEmpty()) {
            command.add("-XX:StartFlightRecording=filename=" + jfr + ",settings=profile,dumponexit=true");
        }
        command.addAll(ChildProcess.TOMCAT_ADD_OPENS);
        command.addAll(setenvOptions()); // the deployment's own JVM options, so that the tests run with them
        command.addAll(List.of(
                "-Dcatalina.home=" + home,
                "-Dcatalina.base=" + base,
                "-Djava.io.tmpdir=" + base.resolve("temp"),
                "-Djava.util.logging.manager=org.apache.juli.ClassLoaderLogManager",
                "-Djava.util.logging.config.file=" + base.resolve("conf/logging.properties"),
                "-Djava.protocol.handler.pkgs=org.apache.catalina.webresources",
                "-Dduplex.http.port=" + port,
                "-Dduplex.http.address=127.0.0.1"));
        systemProperties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.addAll(List.of(
                "-classpath", home.resolve("bin/bootstrap.jar") + java.io.File.pathSeparator + home.resolve("bin/tomcat-juli.jar"),
                "org.apache.catalina.startup.Bootstrap", "start"));
        return command;
    }

    static final Path SETENV = Path.of("deploy", "setenv.sh");
    private static final java.util.regex.Pattern SETENV_LINE = java.util.regex.Pattern.compile("^CATALINA_OPTS=\"\\$CATALINA_OPTS (\\S+)\"$");

    /** The JVM options deploy/setenv.sh adds, in order (each a line {@code CATALINA_OPTS="$CATALINA_OPTS -X..."}). */
    static List<String> setenvOptions() {
        try {
            return Files.readAllLines(SETENV).stream().map(SETENV_LINE::matcher).filter(java.util.regex.Matcher::matches)
                    .map(m -> m.group(1)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void prepareBase() throws IOException {
        deleteRecursively(base);
        for (String sub : List.of("conf", "logs", "temp", "work", "webapps")) {
            Files.createDirectories(base.resolve(sub));
        }
        try (Stream<Path> stock = Files.list(home.resolve("conf"))) {
            for (Path file : stock.filter(Files::isRegularFile).toList()) {
                copy(file, base.resolve("conf").resolve(file.getFileName()));
            }
        }
        copy(Path.of("deploy", "server.xml").toAbsolutePath(), base.resolve("conf/server.xml"));
        // Everything on the console (kept in server.log), including the per-host messages that the
        // stock configuration sends only to logs/localhost.*.log, such as a listener that failed.
        Files.writeString(base.resolve("conf/logging.properties"), """
                handlers = java.util.logging.ConsoleHandler
                .handlers = java.util.logging.ConsoleHandler
                .level = INFO
                java.util.logging.ConsoleHandler.level = ALL
                java.util.logging.ConsoleHandler.formatter = org.apache.juli.OneLineFormatter
                java.util.logging.ConsoleHandler.encoding = UTF-8
                """);
        copy(war(), deployedWar());
    }

    private static void copy(Path from, Path to) {
        try {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
