package duplex.browser;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The start page in headless Chromium, served by the built WAR in Tomcat. */
class IndexPageIT extends PageTestBase {

    @Test
    void detectsWebSocketSupport() {
        browser.open(server.http("/"));
        assertEquals("Duplex: real-time WebSocket demos", browser.driver().getTitle());
        assertTrue(browser.find("#websocket-ok").isDisplayed(), "the 'WebSocket supported' panel shows");
        assertFalse(browser.find("#no-websocket").isDisplayed(), "the warning stays hidden");
        browser.screenshot("index");
        assertEquals(java.util.List.of(), browser.consoleErrors());
    }

    @Test
    void warnsWhenTheBrowserHasNoWebSocket() {
        // The page must say so rather than fail silently: remove the API before any script runs.
        Map<String, Object> added = browser.driver().executeCdpCommand("Page.addScriptToEvaluateOnNewDocument",
                Map.of("source", "delete window.WebSocket;"));
        try {
            browser.open(server.http("/"));
            assertTrue(browser.find("#no-websocket").isDisplayed(), "the warning shows");
            assertFalse(browser.find("#websocket-ok").isDisplayed());
        } finally {
            browser.driver().executeCdpCommand("Page.removeScriptToEvaluateOnNewDocument",
                    Map.of("identifier", added.get("identifier")));
        }
        browser.open(server.http("/"));
        assertTrue(browser.find("#websocket-ok").isDisplayed(), "the script is gone again");
    }

    /** Each card on the start page, and each page's header link back home. */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "#link-echo, echo.html, 'Duplex: echo'",
            "#link-chat, chat.html, 'Duplex: chat'",
            "#link-quotes, quotes.html, 'Duplex: live quotes'",
            "#link-dashboard, dashboard.html, 'Duplex: operations dashboard'",
            "#link-live, live.html, 'Duplex: live comments'",
    })
    void linksLeadToTheirPagesAndBack(String link, String page, String title) {
        browser.open(server.http("/"));
        browser.find(link).click();
        browser.await(page + " loaded", d -> d.getCurrentUrl().endsWith("/duplex/" + page) && title.equals(d.getTitle()));
        browser.find("header a[href='" + page + "']");
        browser.find("header a.brand").click();
        browser.await("back on the start page", d -> d.getCurrentUrl().endsWith("/duplex/"));
        assertTrue(browser.find("#websocket-ok").isDisplayed());
        assertEquals(java.util.List.of(), browser.consoleErrors());
    }
}
