package duplex.browser;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The operations dashboard in headless Chromium: fed by /stats, it updates by itself. */
class DashboardPageIT extends PageTestBase {

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
