package duplex.testing;

import duplex.app.Duplex;
import jakarta.servlet.Servlet;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.servlets.DefaultServlet;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.scan.StandardJarScanner;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * An embedded Tomcat 11 on a port the OS picks, for what embedded Tyrus cannot serve: the
 * servlets ({@code /health}, {@code /metrics}) and the pages, next to the WebSocket endpoints.
 *
 * <p>{@link #war} deploys the exploded WAR that {@code mvn package} leaves in
 * {@code target/duplex}, as a real container would, with parent-first class loading so the
 * test and the application share the same classes (and the test can reach the running
 * {@link Duplex}). {@link #servlet} serves a single servlet instance, for tests that give a
 * servlet its own collaborators.
 *
 * <p>In-process on purpose: these tests set knobs as context parameters, read the running
 * {@link Duplex} and capture its log records. {@link WarServer} is the other launcher: Tomcat in
 * a child JVM with nothing else on its class path, for tests that restart or kill the server.
 */
public final class TomcatServer implements ServerUnderTest.InJvm {

    private static final String CONTEXT = "/duplex";
    private static final Path EXPLODED_WAR = Path.of("target", "duplex");

    private final Tomcat tomcat;
    private final Context context;
    private final URI base;

    private TomcatServer(Tomcat tomcat, Context context) {
        this.tomcat = tomcat;
        this.context = context;
        this.base = URI.create("http://localhost:" + tomcat.getConnector().getLocalPort() + CONTEXT + "/");
    }

    /**
     * The Duplex WAR with these knobs as context parameters ({@code duplex.x -> value}) and, if
     * given, a users file ({@code tomcat-users.xml} format) as the context's realm (a MemoryRealm),
     * for the container-managed login that web.xml configures; see {@link ServerUnderTest#tomcat}.
     */
    static TomcatServer war(Map<String, String> knobs, Path usersFile) {
        if (!Files.isDirectory(EXPLODED_WAR.resolve("WEB-INF"))) {
            throw new IllegalStateException(EXPLODED_WAR.toAbsolutePath() + " is missing: run the tests with mvn verify (package builds it)");
        }
        Tomcat tomcat = newTomcat();
        Context context = tomcat.addWebapp(CONTEXT, EXPLODED_WAR.toAbsolutePath().toString());
        context.setParentClassLoader(TomcatServer.class.getClassLoader());
        StandardContext standard = (StandardContext) context;
        standard.setDelegate(true);
        // The test class path holds Tyrus too; scanning it would hand Tyrus's own
        // ServerApplicationConfig to Tomcat's WebSocket initialiser. Scan the WAR only.
        ((StandardJarScanner) context.getJarScanner()).setScanClassPath(false);
        // Leak detection through reflection needs --add-opens; without them it only warns.
        standard.setClearReferencesRmiTargets(false);
        standard.setClearReferencesThreadLocals(false);
        knobs.forEach(context::addParameter);
        if (usersFile != null) {
            org.apache.catalina.realm.MemoryRealm realm = new org.apache.catalina.realm.MemoryRealm();
            realm.setPathname(usersFile.toAbsolutePath().toString());
            context.setRealm(realm);
        }
        // No Jasper here: serve static files with the DefaultServlet and skip the default web.xml
        // (which would map JSPs to a servlet that is not on the class path).
        Tomcat.addServlet(context, "default", new DefaultServlet());
        context.addServletMappingDecoded("/", "default");
        context.addWelcomeFile("index.html"); // as the default web.xml would: the context root serves the index page
        Tomcat.addDefaultMimeTypeMappings(context);
        return start(tomcat, context);
    }

    /** A context with only this servlet instance, mapped at {@code path}. */
    public static TomcatServer servlet(String path, Servlet servlet) {
        Tomcat tomcat = newTomcat();
        Context context = tomcat.addContext(CONTEXT, null);
        Tomcat.addServlet(context, "under-test", servlet);
        context.addServletMappingDecoded(path, "under-test");
        return start(tomcat, context);
    }

    private static Tomcat newTomcat() {
        Tomcat tomcat = new Tomcat();
        try {
            Path base = Files.createDirectories(Path.of("target", "tomcat-it"));
            tomcat.setBaseDir(Files.createTempDirectory(base, "base").toAbsolutePath().toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        tomcat.setAddDefaultWebXmlToWebapp(false);
        Connector connector = new Connector();
        connector.setPort(0); // the OS picks a free port
        connector.setProperty("address", "127.0.0.1");
        tomcat.setConnector(connector);
        return tomcat;
    }

    private static TomcatServer start(Tomcat tomcat, Context context) {
        try {
            tomcat.start();
        } catch (LifecycleException e) {
            stopQuietly(tomcat);
            throw new IllegalStateException("embedded Tomcat did not start", e);
        }
        if (!context.getState().isAvailable()) {
            stopQuietly(tomcat);
            throw new IllegalStateException("the web application did not start (see the log above)");
        }
        return new TomcatServer(tomcat, context);
    }

    @Override
    public String name() {
        return "tomcat";
    }

    @Override
    public URI base() {
        return base;
    }

    /** The Duplex the web application runs (only for {@link #war}). */
    @Override
    public Duplex duplex() {
        Object duplex = context.getServletContext().getAttribute(Duplex.class.getName());
        if (duplex == null) {
            throw new IllegalStateException("no Duplex running in this context");
        }
        return (Duplex) duplex;
    }

    /** Undeploys (Duplex's graceful stop runs) and stops the server; a second call does nothing. */
    @Override
    public void close() {
        if (tomcat.getServer().getState() != org.apache.catalina.LifecycleState.DESTROYED) {
            stopQuietly(tomcat);
        }
    }

    private static void stopQuietly(Tomcat tomcat) {
        try {
            tomcat.stop();
            tomcat.destroy();
        } catch (LifecycleException e) {
            throw new IllegalStateException("embedded Tomcat did not stop cleanly", e);
        }
    }
}
