package duplex.browser;

import duplex.testing.Browser;
import duplex.testing.WarServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The operations dashboard in headless Chromium: fed by /stats, it updates by itself. */
class DashboardPageIT {

    private static WarServer server;
    private static Browser browser;

    @BeforeAll
    static void start() {
        Browser.assumeAvailable();
        server = WarServer.start();
        browser = Browser.named("alice");
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.open(URI.create("about:blank"));
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void showsTheServerLiveAndUpdatesByItself() {
        browser.open(server.http("dashboard.html"));
        browser.awaitText("#feed", "OPEN");
        browser.awaitText("#status", "UP");
        String first = browser.await("a first snapshot", d -> {
            String updated = browser.text("#updated");
            return updated.equals("never") ? null : updated;
        });
        browser.await("a later snapshot, unasked", d -> !browser.text("#updated").equals(first));
        browser.await("the open connections counted", d -> browser.text("#f-connections").matches("\\d+"));
        browser.screenshot("dashboard");
        assertEquals(List.of(), browser.consoleErrors());
    }
}
