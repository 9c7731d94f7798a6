package duplex.testing;

import org.apache.catalina.Context;
import org.apache.catalina.Lifecycle;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.servlets.DefaultServlet;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.scan.StandardJarScanFilter;
import org.apache.tomcat.util.scan.StandardJarScanner;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * The server process {@link WarServer} starts: Tomcat 11 deploying an exploded WAR at
 * {@code /duplex}, as a standalone Tomcat would (annotations and libraries from {@code WEB-INF},
 * the application's own class loader), its knobs from the environment ({@code DUPLEX_REDIS_URL},
 * ...). Its class path holds only Tomcat and this class, so no other WebSocket implementation or
 * API version from the test class path can leak in.
 *
 * <p>Arguments: {@code WAR_DIR BASE_DIR PORT HOLD}. Port 0 lets the OS pick. With {@code HOLD}
 * {@code true}, the server first listens on a private port only, prints {@code SIDE port}, and
 * opens {@code PORT} when it reads {@code OPEN}. Prints {@code READY port} when serving;
 * {@code STOP} on standard input (or its end, when the test JVM is gone) undeploys the
 * application, stops Tomcat and exits.
 */
public final class WarServerMain {

    static final String CONTEXT = "/duplex";

    private WarServerMain() {
    }

    public static void main(String[] args) throws Exception {
        String war = args[0];
        String baseDir = args[1];
        int port = Integer.parseInt(args[2]);
        boolean hold = Boolean.parseBoolean(args[3]);
        BufferedReader control = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(baseDir);
        // No JSP engine here: without this, Tomcat's default web.xml would name a JspServlet it cannot load.
        tomcat.setAddDefaultWebXmlToWebapp(false);
        Connector first = connector(hold ? 0 : port);
        tomcat.getService().addConnector(first);
        Context context = tomcat.addWebapp(CONTEXT, war);
        // Scan WEB-INF only, as a deployment does; the launcher's class path is not the application's.
        StandardJarScanner scanner = (StandardJarScanner) context.getJarScanner();
        scanner.setScanClassPath(false);
        // No library in the WAR has web fragments, TLDs or annotated endpoints (ours are in
        // WEB-INF/classes): skipping the jar scan saves seconds per start on a busy machine.
        StandardJarScanFilter filter = new StandardJarScanFilter();
        filter.setDefaultTldScan(false);
        filter.setDefaultPluggabilityScan(false);
        scanner.setJarScanFilter(filter);
        context.addLifecycleListener(event -> {
            if (Lifecycle.BEFORE_START_EVENT.equals(event.getType())) {
                addStaticContent(context);
            }
        });
        tomcat.start();
        if (context.getState() != LifecycleState.STARTED) {
            System.out.println("FAILED the application did not deploy (see the log)");
            stop(tomcat);
            System.exit(1);
        }
        if (hold) {
            System.out.println("SIDE " + first.getLocalPort());
            if (!"OPEN".equals(control.readLine())) {
                stop(tomcat);
                return;
            }
            Connector usual = connector(port);
            tomcat.getService().addConnector(usual);
            tomcat.getService().removeConnector(first);
            if (usual.getState() != LifecycleState.STARTED) {
                System.out.println("FAILED port " + port + " did not open");
                stop(tomcat);
                System.exit(1);
            }
            System.out.println("READY " + usual.getLocalPort());
        } else {
            System.out.println("READY " + first.getLocalPort());
        }
        // Stopped by a line, not by a shutdown hook: the JVM resets logging in its own hook, and
        // what the undeploy logs (leaked threads among it) would be lost.
        String line;
        do {
            line = control.readLine();
        } while (line != null && !"STOP".equals(line));
        stop(tomcat);
        System.out.println("STOPPED");
    }

    private static void stop(Tomcat tomcat) throws LifecycleException {
        tomcat.stop();
        tomcat.destroy();
    }

    private static Connector connector(int port) {
        Connector connector = new Connector();
        connector.setPort(port);
        // Loopback only: tests never expose a port to the network.
        connector.setProperty("address", "127.0.0.1");
        connector.setThrowOnFailure(true);
        return connector;
    }

    /** What Tomcat's default web.xml would give: static files, welcome files, MIME types. */
    private static void addStaticContent(Context context) {
        Wrapper servlet = Tomcat.addServlet(context, "default", new DefaultServlet());
        servlet.setLoadOnStartup(1);
        context.addServletMappingDecoded("/", "default");
        context.addWelcomeFile("index.html");
        Tomcat.addDefaultMimeTypeMappings(context);
    }
}
