package duplex.testing;

import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.servlets.DefaultServlet;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.scan.StandardJarScanner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One application node for the cluster tests: an embedded Tomcat 11 in its own JVM serving the
 * exploded WAR ({@code target/duplex}) at {@code /duplex}, exactly as deployed, with its knobs
 * from the environment ({@code DUPLEX_REDIS_URL}, ...). Nodes must be separate processes: the
 * container's configurator reaches the application through one static reference per class loader.
 *
 * <p>{@link #main} is the child's entry point; {@link #start} launches one from a test.
 */
public final class TomcatNode implements AutoCloseable {

    private static final String READY = "DUPLEX NODE READY port=";
    public static final Path WAR = Path.of("target", "duplex");

    private final String name;
    private final Map<String, String> environment;
    private ChildProcess process;
    private int port;

    private TomcatNode(String name, Map<String, String> environment) {
        this.name = name;
        this.environment = environment;
    }

    /** Starts a node with these environment variables and waits until it serves requests. */
    public static TomcatNode start(String name, Map<String, String> environment) {
        TomcatNode node = new TomcatNode(name, environment);
        node.start();
        return node;
    }

    /** Starts; started again (after {@link #stop()} or {@link #kill()}) it takes its old port, where nginx expects it. */
    public synchronized void start() {
        if (!Files.isDirectory(WAR.resolve("WEB-INF"))) {
            throw new IllegalStateException(WAR.toAbsolutePath() + " is missing: run the package phase first (mvn verify does)");
        }
        List<String> command = new ArrayList<>(List.of(ChildProcess.java(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Djava.util.logging.config.file=" + Path.of("src", "test", "resources", "node-logging.properties").toAbsolutePath()));
        command.addAll(ChildProcess.TOMCAT_ADD_OPENS);
        command.addAll(List.of("-cp", childClassPath(), TomcatNode.class.getName(), WAR.toAbsolutePath().toString(), String.valueOf(port)));
        process = ChildProcess.start(name, command, environment, line -> line.contains(READY), Duration.ofSeconds(90));
        String line = process.readyLine();
        port = Integer.parseInt(line.substring(line.indexOf(READY) + READY.length()).trim());
    }

    public int port() {
        return port;
    }

    public java.net.URI http(String path) {
        return java.net.URI.create("http://127.0.0.1:" + port + "/duplex/" + (path.startsWith("/") ? path.substring(1) : path));
    }

    public java.net.URI ws(String path) {
        return java.net.URI.create("ws://127.0.0.1:" + port + "/duplex/" + (path.startsWith("/") ? path.substring(1) : path));
    }

    /** The node's process id (part of its node id in Redis). */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** SIGKILL: the node dies as in a crash or an OOM kill; nothing of its own runs. */
    public synchronized void kill() {
        process.kill();
    }

    /** Tomcat stops gracefully (the application is undeployed and its listener runs), as on a shutdown. */
    public synchronized void stop() {
        process.tell("stop");
        process.awaitExit();
    }

    @Override
    public synchronized void close() {
        if (process != null) {
            process.close();
        }
    }

    /**
     * Only Tomcat and this launcher: the application's own classes and libraries come from the
     * WAR's WEB-INF, loaded by the web application class loader as in a real deployment.
     */
    private static String childClassPath() {
        String full = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> kept = new ArrayList<>();
        for (String entry : full.split(java.io.File.pathSeparator)) {
            String file = Path.of(entry).getFileName().toString();
            if (entry.endsWith("test-classes") || file.startsWith("tomcat-embed-") || file.startsWith("tomcat-annotations-api")) {
                kept.add(entry);
            }
        }
        if (kept.stream().noneMatch(e -> e.contains("tomcat-embed-core"))) {
            throw new IllegalStateException("tomcat-embed-core not on the test class path: " + full);
        }
        return String.join(java.io.File.pathSeparator, kept);
    }

    /** The child: {@code TomcatNode <exploded war> <port, 0: any>}. Prints the ready line with the port it got. */
    public static void main(String[] args) throws LifecycleException, IOException {
        Path war = Path.of(args[0]);
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(Files.createTempDirectory("duplex-node-").toString());
        tomcat.setPort(Integer.parseInt(args[1]));
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        tomcat.setAddDefaultWebXmlToWebapp(false);
        Context context = tomcat.addWebapp("/duplex", war.toAbsolutePath().toString());
        StandardJarScanner scanner = (StandardJarScanner) context.getJarScanner();
        scanner.setScanClassPath(false);
        // No library in the WAR has web fragments, TLDs or annotated endpoints (ours are in
        // WEB-INF/classes): skipping the jar scan saves seconds per start on a busy machine.
        org.apache.tomcat.util.scan.StandardJarScanFilter filter = new org.apache.tomcat.util.scan.StandardJarScanFilter();
        filter.setDefaultTldScan(false);
        filter.setDefaultPluggabilityScan(false);
        scanner.setJarScanFilter(filter);
        // No Jasper here: the default servlet serves the pages, with the usual MIME types.
        Tomcat.addDefaultMimeTypeMappings(context);
        Tomcat.addServlet(context, "default", new DefaultServlet());
        context.addServletMappingDecoded("/", "default");
        context.addWelcomeFile("index.html");
        tomcat.start();
        System.out.println(READY + tomcat.getConnector().getLocalPort());
        System.out.flush();
        // Stopped by a line on stdin, or when the test that started it is gone (end of input).
        // Not by a shutdown hook: the JVM resets logging in its own hook, and what the
        // undeploy logs (leaked threads among it) would be lost.
        var in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null && !line.equals("stop")) {
            // nothing else is understood
        }
        tomcat.stop();
        tomcat.destroy();
        System.out.println("DUPLEX NODE STOPPED");
    }
}
