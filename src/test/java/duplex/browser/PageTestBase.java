package duplex.browser;

import duplex.testing.Browser;
import duplex.testing.ServerUnderTest;
import duplex.testing.WarServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.net.URI;
import java.util.Map;

/**
 * What every page test shares: the built WAR in a Tomcat of its own ({@link WarServer}), started
 * for the test class, and the shared headless Chromium named "alice" ({@link Browser#named}),
 * whose screenshots go to {@code target/screenshots}. Without Chromium the class is skipped (or,
 * under {@code CI=true}, fails). A subclass keeps only its own steps and assertions; it may add
 * browsers of its own in a {@code @BeforeAll}, which runs after this one.
 */
abstract class PageTestBase {

    static WarServer server;
    static Browser browser;

    @BeforeAll
    static void startServerAndBrowser() {
        Browser.assumeAvailable();
        server = ServerUnderTest.war("pages", Map.of());
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
