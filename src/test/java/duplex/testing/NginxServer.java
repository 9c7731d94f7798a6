package duplex.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Debian's nginx as a child of the test, running the project's own {@code deploy/nginx.conf}:
 * the test copy differs only in what must differ on a test machine (the listen port, the
 * upstream nodes' ports, and where nginx keeps its pid, logs and temporary files). It serves
 * Duplex at {@code /duplex/} through the nodes, so a test talks to it as to any server.
 */
public final class NginxServer implements ServerUnderTest {

    public static final String BINARY = "/usr/sbin/nginx";
    public static final Path CONFIG = Path.of("deploy", "nginx.conf");
    private static final Pattern UPSTREAM_SERVER = Pattern.compile("(?m)^(\\s*)server\\s+node\\d+:8080([^;]*);\\s*\\n");
    private static final Pattern LISTEN = Pattern.compile("(?m)^(\\s*)listen\\s+80;");

    private final int port;
    private final ChildProcess process;

    private NginxServer(int port, ChildProcess process) {
        this.port = port;
        this.process = process;
    }

    public static boolean installed() {
        return Files.isExecutable(Path.of(BINARY));
    }

    /** Starts nginx in front of nodes listening on 127.0.0.1 at {@code nodePorts}. */
    public static NginxServer start(List<Integer> nodePorts) {
        try {
            Path dir = ChildProcess.LOGS.resolve("nginx").toAbsolutePath();
            for (String sub : List.of("tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi", "logs")) {
                Files.createDirectories(dir.resolve(sub));
            }
            // nginx's workers may run as nobody: they must be able to write their temporary files
            try (var paths = Files.walk(dir.resolve("tmp"))) {
                for (Path p : (Iterable<Path>) paths::iterator) {
                    p.toFile().setWritable(true, false);
                    p.toFile().setExecutable(true, false);
                }
            }
            int port = ChildProcess.freePort();
            Path config = dir.resolve("nginx.conf");
            Files.writeString(config, forTest(Files.readString(CONFIG), port, nodePorts, dir));
            ChildProcess process = ChildProcess.start("nginx", List.of(BINARY, "-e", "stderr", "-p", dir + "/", "-c", config.toString()),
                    Map.of(), line -> line.contains("start worker process"), Duration.ofSeconds(30));
            return new NginxServer(port, process);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The project's config with this machine's ports and paths. */
    static String forTest(String config, int port, List<Integer> nodePorts, Path dir) {
        Matcher upstream = UPSTREAM_SERVER.matcher(config);
        if (!upstream.find()) {
            throw new IllegalStateException(CONFIG + " has no 'server nodeN:8080' upstream lines");
        }
        String indent = upstream.group(1);
        String options = upstream.group(2);
        String servers = nodePorts.stream().map(p -> indent + "server 127.0.0.1:" + p + options + ";\n").collect(Collectors.joining());
        String text = UPSTREAM_SERVER.matcher(config).replaceFirst(Matcher.quoteReplacement(servers));
        text = UPSTREAM_SERVER.matcher(text).replaceAll("");
        Matcher listen = LISTEN.matcher(text);
        if (!listen.find()) {
            throw new IllegalStateException(CONFIG + " has no 'listen 80;'");
        }
        text = listen.replaceFirst("$1listen 127.0.0.1:" + port + ";");
        String paths = "    access_log " + dir.resolve("logs/access.log") + ";\n"
                + "    client_body_temp_path " + dir.resolve("tmp/body") + ";\n"
                + "    proxy_temp_path " + dir.resolve("tmp/proxy") + ";\n"
                + "    fastcgi_temp_path " + dir.resolve("tmp/fastcgi") + ";\n"
                + "    uwsgi_temp_path " + dir.resolve("tmp/uwsgi") + ";\n"
                + "    scgi_temp_path " + dir.resolve("tmp/scgi") + ";\n";
        text = text.replaceFirst("(?m)^http\\s*\\{\\s*\\n", Matcher.quoteReplacement("http {\n" + paths));
        return "daemon off;\npid " + dir.resolve("nginx.pid") + ";\nerror_log stderr notice;\n" + text;
    }

    public int port() {
        return port;
    }

    @Override
    public String name() {
        return "nginx";
    }

    @Override
    public java.net.URI base() {
        return java.net.URI.create("http://127.0.0.1:" + port + "/duplex/");
    }

    @Override
    public void close() {
        process.stop();
    }
}
