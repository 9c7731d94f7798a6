package duplex.browser;

import duplex.testing.Browser;
import duplex.testing.ServerUnderTest;
import duplex.testing.WarServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInfo;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.net.URI;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What every page test shares: the built WAR in a Tomcat of its own ({@link WarServer}), started
 * for the test class, and the shared headless Chromium named "alice" ({@link Browser#named}),
 * whose screenshots go to {@code target/screenshots}. Without Chromium the class is skipped (or,
 * under {@code CI=true}, fails). A subclass keeps only its own steps and assertions; it may add
 * browsers of its own in a {@code @BeforeAll}, which runs after this one, and give the server
 * knobs with {@link Knobs}.
 */
abstract class PageTestBase {

    /** Knobs for the class's server, as {@code "name=value"} (split at the first {@code =}). */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    @interface Knobs {
        String[] value();
    }

    static WarServer server;
    static Browser browser;

    @BeforeAll
    static void startServerAndBrowser(TestInfo test) {
        Browser.assumeAvailable();
        // The class's knobs, as the environment variables the application reads them from.
        Map<String, String> environment = new LinkedHashMap<>();
        test.getTestClass().map(type -> type.getAnnotation(Knobs.class)).map(Knobs::value).map(Arrays::stream)
                .ifPresent(pairs -> pairs.map(pair -> pair.split("=", 2))
                        .forEach(pair -> environment.put(duplex.app.Config.environmentName(pair[0]), pair[1])));
        server = ServerUnderTest.war("pages", environment);
        browser = Browser.named("alice");
    }

    @AfterAll
    static void leavePageAndStopServer() {
        // Leaving the page closes its connection; the next test class starts from a blank window.
        if (browser != null) {
            browser.open(URI.create("about:blank"));
            browser = null;
        }
        if (server != null) {
            server.close();
            server = null;
        }
    }
}
