package duplex.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Every server the harness knows: the peers from the package registries, and Duplex twice. */
final class Targets {

    private Targets() {
    }

    static final String ROOM = "bench";

    static List<Target> all() {
        return List.of(new NodeWs(), new NodeJsWebsocket(), new Tornado(), new TomcatExamples(), new DuplexTomcat(),
                new DuplexTomcatLean(), new DuplexJetty(), new DuplexTyrus());
    }

    /** npm `ws`: the idiomatic echo and broadcast loops from its README, in src/bench/peers/ws-server.js. */
    static final class NodeWs extends Target {
        NodeWs() {
            super("ws", "node `ws` (npm): echo and the README's broadcast loop (`src/bench/peers/ws-server.js`)");
        }

        @Override
        String unavailable(Bench.Env env) {
            return env.node() == null ? "node/npm not installed" : null;
        }

        @Override
        Map<String, String> environment(Bench.Env env) {
            return env.nodeEnvironment();
        }

        @Override
        List<String> command(Bench.Env env, int port) throws IOException {
            return List.of(env.node(), "--expose-gc", env.peerScript("ws-server.js").toString(), String.valueOf(port));
        }

        @Override
        String echoPath() {
            return "/echo";
        }

        @Override
        Target.Chat chat() {
            return Target.Chat.RAW;
        }

        @Override
        String chatPath(int member) {
            return "/chat/" + ROOM;
        }

        @Override
        String version(Bench.Env env) {
            return "ws " + env.npmVersion("ws") + " on node " + env.nodeVersion();
        }
    }

    /** npm `nodejs-websocket`: echo and broadcast over `server.connections`. */
    static final class NodeJsWebsocket extends Target {
        NodeJsWebsocket() {
            super("nodejs-websocket", "npm `nodejs-websocket`: echo and broadcast over `server.connections` (`src/bench/peers/nodejs-websocket-server.js`)");
        }

        @Override
        String unavailable(Bench.Env env) {
            return env.node() == null ? "node/npm not installed" : null;
        }

        @Override
        Map<String, String> environment(Bench.Env env) {
            return env.nodeEnvironment();
        }

        @Override
        List<String> command(Bench.Env env, int port) throws IOException {
            return List.of(env.node(), "--expose-gc", env.peerScript("nodejs-websocket-server.js").toString(), String.valueOf(port));
        }

        @Override
        String echoPath() {
            return "/echo";
        }

        @Override
        Target.Chat chat() {
            return Target.Chat.RAW;
        }

        @Override
        String chatPath(int member) {
            return "/chat/" + ROOM;
        }

        @Override
        String version(Bench.Env env) {
            return "nodejs-websocket " + env.npmVersion("nodejs-websocket") + " on node " + env.nodeVersion();
        }
    }

    /** Tornado from Debian's python3-tornado: echo, and a chat room with a set() of clients. */
    static final class Tornado extends Target {
        Tornado() {
            super("tornado", "Tornado (Debian `python3-tornado`): echo and a chat room with a `set()` of clients (`src/bench/peers/tornado_server.py`)");
        }

        @Override
        String unavailable(Bench.Env env) {
            return env.tornadoVersion() == null ? "python3-tornado not installed (apt-get install python3-tornado)" : null;
        }

        @Override
        List<String> command(Bench.Env env, int port) {
            return List.of(Bench.Env.SYSTEM_PYTHON, env.peerScript("tornado_server.py").toString(), String.valueOf(port));
        }

        @Override
        String echoPath() {
            return "/echo";
        }

        @Override
        Target.Chat chat() {
            return Target.Chat.RAW;
        }

        @Override
        String chatPath(int member) {
            return "/chat/" + ROOM;
        }

        @Override
        String version(Bench.Env env) {
            return "Tornado " + env.tornadoVersion() + " on Python " + env.pythonVersion();
        }
    }

    /** Tomcat 11 from Maven Central, launched on a CATALINA_BASE of our own under target/bench. */
    abstract static class TomcatTarget extends Target {
        TomcatTarget(String name, String description) {
            super(name, description);
        }

        @Override
        boolean jvm() {
            return true;
        }

        @Override
        String unavailable(Bench.Env env) {
            return Files.isDirectory(env.tomcatHome()) ? null : "Tomcat not unpacked at " + env.tomcatHome() + " (run through mvn -Pbench)";
        }

        /** context path -> docBase */
        abstract Map<String, Path> contexts(Bench.Env env);

        List<String> systemProperties(Bench.Env env, int port) {
            return List.of();
        }

        /** The server.xml to use instead of the harness's own, or null. */
        Path serverXml(Bench.Env env) {
            return null;
        }

        @Override
        List<String> command(Bench.Env env, int port) throws IOException {
            Path home = env.tomcatHome().toAbsolutePath();
            Path base = env.dir().resolve("tomcat-" + name).toAbsolutePath();
            writeBase(home, base, port, contexts(env), serverXml(env), env.tomcatConnector(), env.tomcatContextParams());
            List<String> command = javaCommand(env);
            command.addAll(List.of(
                    "--add-opens=java.base/java.lang=ALL-UNNAMED",
                    "--add-opens=java.base/java.io=ALL-UNNAMED",
                    "--add-opens=java.base/java.util=ALL-UNNAMED",
                    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
                    "--add-opens=java.rmi/sun.rmi.transport=ALL-UNNAMED",
                    "-Dcatalina.home=" + home,
                    "-Dcatalina.base=" + base,
                    "-Djava.io.tmpdir=" + base.resolve("temp"),
                    "-Djava.util.logging.manager=org.apache.juli.ClassLoaderLogManager",
                    "-Djava.util.logging.config.file=" + base.resolve("conf/logging.properties")));
            command.addAll(systemProperties(env, port));
            command.addAll(List.of(
                    "-classpath", home.resolve("bin/bootstrap.jar") + java.io.File.pathSeparator + home.resolve("bin/tomcat-juli.jar"),
                    "org.apache.catalina.startup.Bootstrap", "start"));
            return command;
        }

        /**
         * The stock configuration, with one change to the connector that both Tomcat targets
         * share: maxConnections 20000 and acceptCount 1024. Stock Tomcat stops accepting past
         * 8192 connections (maxConnections) and the idle scenario holds 10000.
         */
        static void writeBase(Path home, Path base, int port, Map<String, Path> contexts, Path serverXml,
                              Map<String, String> connectorAttributes, Map<String, String> contextParams) throws IOException {
            deleteTree(base);
            for (String dir : List.of("conf/Catalina/localhost", "logs", "temp", "webapps", "work")) {
                Files.createDirectories(base.resolve(dir));
            }
            try (Stream<Path> conf = Files.list(home.resolve("conf"))) {
                for (Path file : conf.filter(Files::isRegularFile).toList()) {
                    Files.copy(file, base.resolve("conf").resolve(file.getFileName()));
                }
            }
            Files.writeString(base.resolve("conf/server.xml"), """
                    <?xml version="1.0" encoding="UTF-8"?>
                    <Server port="-1" shutdown="SHUTDOWN">
                      <Listener className="org.apache.catalina.startup.VersionLoggerListener" />
                      <Listener className="org.apache.catalina.core.JreMemoryLeakPreventionListener" />
                      <Listener className="org.apache.catalina.core.ThreadLocalLeakPreventionListener" />
                      <Service name="Catalina">
                        <Connector port="%d" address="127.0.0.1" protocol="org.apache.coyote.http11.Http11NioProtocol"
                                   connectionTimeout="20000" maxConnections="20000" acceptCount="1024" />
                        <Engine name="Catalina" defaultHost="localhost">
                          <Host name="localhost" appBase="webapps" unpackWARs="true" autoDeploy="false" deployOnStartup="true" />
                        </Engine>
                      </Service>
                    </Server>
                    """.formatted(port), StandardCharsets.UTF_8);
            if (serverXml != null) {
                Files.copy(serverXml, base.resolve("conf/server.xml"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            if (!connectorAttributes.isEmpty()) {
                // Set on the connector, replacing the file's own value of the same attribute if it has one.
                Path xml = base.resolve("conf/server.xml");
                String text = Files.readString(xml);
                for (Map.Entry<String, String> attribute : connectorAttributes.entrySet()) {
                    String name = Pattern.quote(attribute.getKey());
                    String value = Matcher.quoteReplacement(attribute.getValue());
                    text = text.replaceAll("(<Connector\\b[^>]*?)\\s" + name + "=\"[^\"]*\"", "$1");
                    text = text.replaceFirst("<Connector ", "<Connector " + Matcher.quoteReplacement(attribute.getKey()) + "=\"" + value + "\" ");
                }
                Files.writeString(xml, text);
            }
            StringBuilder parameters = new StringBuilder();
            contextParams.forEach((name, value) -> parameters.append("  <Parameter name=\"").append(name).append("\" value=\"")
                    .append(value).append("\" override=\"false\" />\n"));
            for (Map.Entry<String, Path> context : contexts.entrySet()) {
                Files.writeString(base.resolve("conf/Catalina/localhost/" + context.getKey() + ".xml"),
                        "<Context docBase=\"" + context.getValue().toAbsolutePath() + "\">\n" + parameters + "</Context>\n", StandardCharsets.UTF_8);
            }
        }

        @Override
        String version(Bench.Env env) {
            return "Apache Tomcat " + env.tomcatVersion() + " on Java " + System.getProperty("java.runtime.version");
        }
    }

    /** Tomcat 11's own examples webapp, as shipped: echoAnnotation and the chat. */
    static final class TomcatExamples extends TomcatTarget {
        TomcatExamples() {
            super("tomcat-examples", "Tomcat 11's stock examples: `/examples/websocket/echoAnnotation` and `/examples/websocket/chat`");
        }

        @Override
        Map<String, Path> contexts(Bench.Env env) {
            return Map.of("examples", env.tomcatHome().resolve("webapps/examples"));
        }

        @Override
        String echoPath() {
            return "/examples/websocket/echoAnnotation";
        }

        @Override
        Target.Chat chat() {
            return Target.Chat.RAW;
        }

        @Override
        String chatPath(int member) {
            return "/examples/websocket/chat";
        }
    }

    /** Duplex's WAR (target/duplex.war) on the same Tomcat 11. */
    static class DuplexTomcat extends TomcatTarget {
        DuplexTomcat() {
            this("duplex-tomcat", "Duplex (`target/duplex.war`) on Tomcat 11 with its deployment's `deploy/server.xml` and the JVM options of `deploy/setenv.sh`");
        }

        DuplexTomcat(String name, String description) {
            super(name, description);
        }

        @Override
        String unavailable(Bench.Env env) {
            String tomcat = super.unavailable(env);
            return tomcat != null ? tomcat : Files.isRegularFile(env.war()) ? null : "no " + env.war() + " (mvn package)";
        }

        @Override
        Map<String, Path> contexts(Bench.Env env) {
            return Map.of("duplex", env.war());
        }

        /** Duplex's own deployment file (deploy/server.xml), as the docker-compose deployment uses it. */
        @Override
        Path serverXml(Bench.Env env) {
            Path deployed = Path.of("deploy/server.xml").toAbsolutePath();
            return Files.isRegularFile(deployed) ? deployed : null;
        }

        /** The JVM options of the deployment (deploy/setenv.sh, one {@code CATALINA_OPTS="$CATALINA_OPTS -X..."} a line). */
        static List<String> setenvOptions() {
            Path setenv = Path.of("deploy/setenv.sh");
            if (!Files.isRegularFile(setenv)) {
                return List.of();
            }
            try {
                Pattern line = Pattern.compile("^CATALINA_OPTS=\"\\$CATALINA_OPTS (\\S+)\"$");
                return Files.readAllLines(setenv).stream().map(line::matcher).filter(Matcher::matches).map(m -> m.group(1)).toList();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        List<String> systemProperties(Bench.Env env, int port) {
            // The deployment's JVM options first, so that -Dbench.server-jvmargs (later on the line) can override them.
            // -Dbench.setenv=false leaves them out (the stock JVM settings), to measure what they do.
            List<String> properties = new ArrayList<>(Boolean.parseBoolean(Bench.Options.prop("bench.setenv", "true")) ? setenvOptions() : List.of());
            properties.addAll(env.serverJvmArgs());
            properties.addAll(env.duplexKnobs());
            properties.add("-Dduplex.http.port=" + port);
            properties.add("-Dduplex.http.address=127.0.0.1");
            return properties;
        }

        @Override
        String echoPath() {
            return "/duplex/echo";
        }

        @Override
        Target.Chat chat() {
            return DuplexTyrus.chatAvailable() ? Target.Chat.DUPLEX_JSON : Target.Chat.NONE;
        }

        @Override
        String metricsPath() {
            return "/duplex/metrics";
        }

        @Override
        String apiPublishPath() {
            return "/duplex/api/publish";
        }

        @Override
        String livePath() {
            return "/duplex/live";
        }

        @Override
        String chatPath(int member) {
            return "/duplex/chat/" + ROOM + "?name=m" + member;
        }
    }

    /**
     * The same deployment tuned for many idle connections: Tomcat's per-connection buffers cut
     * from 8 KiB to 1 KiB (the connector's socket buffers, and the WebSocket buffers through
     * {@code org.apache.tomcat.websocket.DEFAULT_BUFFER_SIZE}). Stock Tomcat holds about 72 KiB
     * of heap per WebSocket, almost all of it seven 8 KiB buffers; this shows what that costs
     * and what shrinking them costs large messages.
     */
    static final class DuplexTomcatLean extends DuplexTomcat {
        static final int BUFFER = 1024;

        DuplexTomcatLean() {
            super("duplex-tomcat-lean", "Duplex on Tomcat 11, `deploy/server.xml` plus 1 KiB buffers: connector `socket.appReadBufSize`/"
                    + "`socket.appWriteBufSize` and `-Dorg.apache.tomcat.websocket.DEFAULT_BUFFER_SIZE` = " + BUFFER);
        }

        @Override
        Path serverXml(Bench.Env env) {
            Path deployed = super.serverXml(env);
            if (deployed == null) {
                return null;
            }
            try {
                String xml = Files.readString(deployed);
                String lean = xml.replaceFirst("<Connector ", "<Connector socket.appReadBufSize=\"" + BUFFER
                        + "\" socket.appWriteBufSize=\"" + BUFFER + "\" ");
                Path file = env.dir().resolve("server-lean.xml");
                Files.writeString(file, lean);
                return file;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        List<String> systemProperties(Bench.Env env, int port) {
            List<String> properties = new ArrayList<>(super.systemProperties(env, port));
            properties.add("-Dorg.apache.tomcat.websocket.DEFAULT_BUFFER_SIZE=" + BUFFER);
            return properties;
        }
    }

    /**
     * The same WAR on a stock Jetty 12 (ee10), in a JVM of its own: {@code duplex.bench.jetty.JettyMain},
     * built with its jars by {@code src/bench/jetty/pom.xml} into target/bench/jetty, apart from
     * the harness's classpath (Jetty would find Tomcat's and Tyrus's initializers on it). Jetty
     * gets no {@code TomcatWire}: this is Duplex's portable path, one frame per send.
     */
    static final class DuplexJetty extends Target {
        DuplexJetty() {
            super("duplex-jetty", "Duplex (`target/duplex.war`) on stock Jetty 12 ee10 (`src/bench/jetty`), the portable one-frame-per-send path");
        }

        @Override
        boolean jvm() {
            return true;
        }

        private static Path home(Bench.Env env) {
            return env.dir().resolve("jetty");
        }

        @Override
        String unavailable(Bench.Env env) {
            if (!Files.isRegularFile(home(env).resolve("duplex-bench-jetty.jar"))) {
                return "Jetty runner not built at " + home(env) + " (run through mvn -Pbench)";
            }
            return Files.isRegularFile(env.war()) ? null : "no " + env.war() + " (mvn package)";
        }

        @Override
        List<String> command(Bench.Env env, int port) throws IOException {
            Path home = home(env).toAbsolutePath();
            Path work = env.dir().resolve("jetty-work").toAbsolutePath();
            deleteTree(work);
            List<String> command = javaCommand(env);
            // Tomcat's targets get deploy/setenv.sh; of it only the heap ratios are not Tomcat's own.
            command.addAll(DuplexTomcat.setenvOptions().stream().filter(option -> option.startsWith("-XX:")).toList());
            command.addAll(env.duplexKnobs());
            command.add("-Dduplex.http.port=" + port);
            command.add("-Dduplex.http.address=127.0.0.1");
            command.add("-Djava.io.tmpdir=" + work);
            command.add("-classpath");
            command.add(home.resolve("duplex-bench-jetty.jar") + java.io.File.pathSeparator + home.resolve("lib") + java.io.File.separator + "*");
            command.add("duplex.bench.jetty.JettyMain");
            command.addAll(List.of(String.valueOf(port), env.war().toAbsolutePath().toString(), "/duplex", work.toString()));
            return command;
        }

        @Override
        String echoPath() {
            return "/duplex/echo";
        }

        @Override
        Target.Chat chat() {
            return DuplexTyrus.chatAvailable() ? Target.Chat.DUPLEX_JSON : Target.Chat.NONE;
        }

        @Override
        String metricsPath() {
            return "/duplex/metrics";
        }

        @Override
        String apiPublishPath() {
            return "/duplex/api/publish";
        }

        @Override
        String livePath() {
            return "/duplex/live";
        }

        @Override
        String chatPath(int member) {
            return "/duplex/chat/" + ROOM + "?name=m" + member;
        }

        @Override
        String version(Bench.Env env) {
            String jar = "?";
            try (Stream<Path> lib = Files.list(home(env).resolve("lib"))) {
                jar = lib.map(path -> path.getFileName().toString()).filter(name -> name.startsWith("jetty-server-"))
                        .findFirst().map(name -> name.replace("jetty-server-", "").replace(".jar", "")).orElse("?");
            } catch (IOException e) {
                // the version stays "?"
            }
            return "Eclipse Jetty " + jar + " (ee10) on Java " + System.getProperty("java.runtime.version");
        }
    }

    /** Duplex on embedded Tyrus + Grizzly, in a JVM of its own ({@link TyrusMain}). */
    static final class DuplexTyrus extends Target {
        DuplexTyrus() {
            super("duplex-tyrus", "Duplex on embedded Tyrus/Grizzly (`duplex.bench.TyrusMain`)");
        }

        static boolean chatAvailable() {
            try {
                Class.forName("duplex.chat.ChatEndpoint");
                return true;
            } catch (ClassNotFoundException e) {
                return false;
            }
        }

        @Override
        boolean jvm() {
            return true;
        }

        @Override
        List<String> command(Bench.Env env, int port) {
            List<String> command = javaCommand(env);
            command.addAll(env.duplexKnobs());
            command.add("-classpath");
            command.add(System.getProperty("java.class.path"));
            command.add(TyrusMain.class.getName());
            command.add(String.valueOf(port));
            return command;
        }

        @Override
        String echoPath() {
            return "/duplex/echo";
        }

        @Override
        Target.Chat chat() {
            return chatAvailable() ? Target.Chat.DUPLEX_JSON : Target.Chat.NONE;
        }

        @Override
        String chatPath(int member) {
            return "/duplex/chat/" + ROOM + "?name=m" + member;
        }

        @Override
        String version(Bench.Env env) {
            return "Tyrus " + env.tyrusVersion() + " (Grizzly) on Java " + System.getProperty("java.runtime.version");
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            List<Path> paths = new ArrayList<>(walk.toList());
            java.util.Collections.reverse(paths);
            for (Path path : paths) {
                Files.delete(path);
            }
        }
    }

    static String firstGroup(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        return m.find() ? m.group(1) : null;
    }
}
