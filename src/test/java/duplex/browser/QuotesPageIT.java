package duplex.browser;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The live quotes page in headless Chromium against /quotes of the built WAR in Tomcat. */
class QuotesPageIT extends PageTestBase {

    /**
     * Records every text message any WebSocket of the page receives, before the page's own
     * handlers run, so the test can tell what the server sent from what the page drew.
     */
    private static final String RECORDER = """
            (() => {
              const Native = window.WebSocket;
              window.__received = [];
              window.WebSocket = class extends Native {
                constructor(...args) {
                  super(...args);
                  this.addEventListener("message", (e) => {
                    if (typeof e.data === "string") window.__received.push(e.data);
                  });
                }
              };
            })();
            """;

    @Test
    void pricesUpdateByThemselvesAndUnsubscribeStopsOneSymbol() {
        Map<String, Object> recorder = browser.driver().executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", RECORDER));
        try {
            browser.open(server.http("quotes.html"));
            browser.awaitText("#state", "OPEN");
            browser.await("the symbols listed", d -> browser.findAll("#rows tr").size() >= 2);
            List<String> symbols = browser.script("return [...document.querySelectorAll('#rows tr')].map(tr => tr.id.replace(/^row-/, ''));");
            String stopped = symbols.get(0);
            String kept = symbols.get(1);

            // Nobody clicks anything: the prices move because the server pushes them.
            String firstPrice = awaitPrice(kept);
            browser.await(kept + "'s price to move", d -> !price(kept).equals(firstPrice));
            browser.await("updates per second shown", d -> Integer.parseInt(browser.text("#rate")) > 0);
            browser.screenshot("quotes");

            // Unsubscribe one symbol: the server stops sending it (no quote after its
            // "unsubscribed"), the row stops moving, and the other symbols go on.
            awaitPrice(stopped);
            browser.find("#row-" + stopped + " input[type=checkbox]").click();
            String unsubscribed = "{\"type\":\"unsubscribed\",\"symbols\":[\"" + stopped + "\"]}";
            long at = browser.await("the server's unsubscribed", d -> {
                Long index = browser.script("return window.__received.indexOf(arguments[0]);", unsubscribed);
                return index >= 0 ? index : null;
            });
            String frozen = price(stopped);
            browser.await("more quotes of " + kept + " after the unsubscribe", d -> quotesAfter(at, kept) >= 20);
            assertEquals(0, quotesAfter(at, stopped), "no quote of " + stopped + " after its unsubscribed");
            assertEquals(frozen, price(stopped), stopped + "'s row stands still");
            assertTrue(browser.find("#row-" + stopped).getAttribute("class").contains("idle"), "and looks idle");
            assertFalse(browser.find("#row-" + stopped + " input[type=checkbox]").isSelected());

            // Subscribing again brings it back to life.
            browser.find("#row-" + stopped + " input[type=checkbox]").click();
            browser.await(stopped + " moving again", d -> !price(stopped).equals(frozen));
            browser.screenshot("quotes-resubscribed");
            assertEquals(List.of(), browser.consoleErrors());
        } finally {
            browser.driver().executeCdpCommand("Page.removeScriptToEvaluateOnNewDocument", Map.of("identifier", recorder.get("identifier")));
        }
    }

    private static String price(String symbol) {
        return browser.text("#row-" + symbol + " td.price");
    }

    private static String awaitPrice(String symbol) {
        return browser.await(symbol + "'s first price", d -> {
            String price = price(symbol);
            return price.matches("\\d+(\\.\\d+)?") ? price : null;
        });
    }

    /** How many quote messages for the symbol the page received after message number {@code index}. */
    private static long quotesAfter(long index, String symbol) {
        // Plain text matching: the page receives hundreds of quotes a second, and this runs often.
        return browser.<Long>script("const symbol = '\"symbol\":\"' + arguments[1] + '\"';"
                + " return window.__received.slice(arguments[0] + 1)"
                + ".filter(m => m.includes('\"type\":\"quote\"') && m.includes(symbol)).length;", index, symbol);
    }
}
