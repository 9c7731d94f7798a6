package duplex.deploy;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The log check finds what it must, in the formats Tomcat and Payara write, and nothing else. */
class ServerLogTest {

    private static final String TOMCAT_START = "22-Nov-2026 00:39:30.623 INFO [main] duplex.app.DuplexListener.contextInitialized Duplex started at /duplex";

    @Test
    void aCleanTomcatLogHasNoProblems() {
        List<String> log = List.of(
                TOMCAT_START,
                "22-Nov-2026 00:39:32.098 INFO [Thread-1] duplex.app.DuplexListener.contextDestroyed Duplex stopped",
                "22-Nov-2026 00:39:32.114 INFO [Thread-1] org.apache.coyote.AbstractProtocol.stop Stopping ProtocolHandler");
        assertEquals(List.of(), ServerLog.problems(log, true));
    }

    @Test
    void tomcatsLeakedThreadWarningOnUndeployIsFound() {
        List<String> log = List.of(TOMCAT_START,
                "22-Nov-2026 00:40:01.001 WARNING [Thread-1] org.apache.catalina.loader.WebappClassLoaderBase.clearReferencesThreads "
                        + "The web application [duplex] appears to have started a thread named [duplex-scheduler-1] but has failed to stop it. "
                        + "This is very likely to create a memory leak. Stack trace of thread:",
                " java.base@17.0.15/jdk.internal.misc.Unsafe.park(Native Method)");
        List<ServerLog.Problem> problems = ServerLog.problems(log, false);
        assertEquals(1, problems.size(), problems.toString());
        assertEquals(ServerLog.Kind.LEAK_ON_UNDEPLOY, problems.get(0).kind());
        assertTrue(problems.get(0).record().contains("Unsafe.park"), "the stack trace belongs to the record");
    }

    @Test
    void aSevereWhoseStackTraceRunsThroughOurCodeIsOurs() {
        List<String> log = List.of(
                "22-Nov-2026 00:41:00.000 SEVERE [http-nio-8080-exec-3] org.apache.tomcat.websocket.pojo.PojoEndpointBase.onError No error handling configured",
                "\tjava.lang.IllegalStateException: boom",
                "\t\tat duplex.echo.EchoEndpoint.text(EchoEndpoint.java:64)");
        List<ServerLog.Problem> problems = ServerLog.problems(log, false);
        assertEquals(List.of(ServerLog.Kind.ERROR_FROM_OUR_CODE), problems.stream().map(ServerLog.Problem::kind).toList());
    }

    @Test
    void aFailedDeploymentOfOurContextIsOurs() {
        List<String> log = List.of(
                "22-Nov-2026 00:42:00.000 SEVERE [main] org.apache.catalina.core.StandardContext.startInternal One or more listeners failed to start.",
                "22-Nov-2026 00:42:00.001 SEVERE [main] org.apache.catalina.core.StandardContext.startInternal Context [/duplex] startup failed due to previous errors");
        assertEquals(List.of(ServerLog.Kind.ERROR_FROM_OUR_CODE),
                ServerLog.problems(log, false).stream().map(ServerLog.Problem::kind).toList(), "names our context");
        assertEquals(List.of(ServerLog.Kind.SEVERE, ServerLog.Kind.ERROR_FROM_OUR_CODE),
                ServerLog.problems(log, true).stream().map(ServerLog.Problem::kind).toList());
    }

    @Test
    void payaraSevereFromOurCodeIsFoundThroughItsColoursAndBrackets() {
        // As Payara writes it once ServerProcess has removed the ANSI colours.
        List<String> log = List.of(
                "[2026-11-22T00:38:27.611+0000] [] [SEVERE] [] [duplex.delivery.Outbox] [tid: _ThreadID=1 _ThreadName=main] [levelValue: 1000] send failed",
                "",
                "[2026-11-22T00:38:27.700+0000] [] [SEVERE] [] [fish.payara.nucleus.Something] [tid: _ThreadID=1] [levelValue: 1000] not ours");
        List<ServerLog.Problem> lenient = ServerLog.problems(log, false);
        assertEquals(List.of(ServerLog.Kind.ERROR_FROM_OUR_CODE), lenient.stream().map(ServerLog.Problem::kind).toList());
        assertEquals(2, ServerLog.problems(log, true).size(), "strict: every SEVERE counts");
    }

    @Test
    void aJsonProviderClashIsAClassLoadingConflict() {
        List<String> log = List.of(
                "[2026-11-22T00:38:27.611+0000] [] [WARNING] [] [jakarta.enterprise.web] [levelValue: 900] StandardWrapperValve failed",
                "java.lang.LinkageError: loader constraint violation: when resolving method 'jakarta.json.spi.JsonProvider jakarta.json.spi.JsonProvider.provider()'",
                "",
                "22-Nov-2026 00:43:00.000 WARNING [main] x.Y jakarta.json.JsonException: Provider org.eclipse.parsson.JsonProviderImpl not found");
        List<ServerLog.Problem> problems = ServerLog.problems(log, false);
        assertEquals(List.of(ServerLog.Kind.CLASSLOADING_CONFLICT, ServerLog.Kind.CLASSLOADING_CONFLICT),
                problems.stream().map(ServerLog.Problem::kind).toList());
    }

    @Test
    void warningsAndInfoFromTheServerItselfAreNotProblems() {
        List<String> log = List.of(
                "[2026-11-22T00:38:25.355+0000] [] [WARNING] [NCLS-SECURITY-05054] [javax.enterprise.system.security.ssl] [levelValue: 900] [[",
                "  The SSL certificate with alias trustcenterclass4caii has expired: [",
                "]]",
                "22-Nov-2026 00:39:30.580 INFO [main] org.apache.jasper.servlet.TldScanner.scanJars At least one JAR was scanned for TLDs yet contained no TLDs.");
        assertEquals(List.of(), ServerLog.problems(log, true));
    }
}
