package duplex.browser;

import duplex.testing.Browser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * The live page (bullet comments, scoreboard, news) in headless Chromium against /live of the
 * built WAR in Tomcat, with the HTTP API on: what a backend publishes, and what viewers type,
 * shows in every window; markup stays text; a restart is ridden out and shown as a new stream.
 */
@PageTestBase.Knobs("duplex.api.keys=demo=" + LivePageIT.SECRET)
class LivePageIT extends PageTestBase {

    /** The secret live.html's curl lines show. */
    static final String SECRET = "demo-secret-change-me";
    private static final String COMMENTS = "comments:video42";
    private static final String SCORES = "scores:match1";
    private static final String NEWS = "news";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static Browser bob;

    @AfterEach
    void leavePages() {
        // Leaving the page closes its connection; the next test starts from a blank window.
        for (Browser each : new Browser[] {browser, bob}) {
            if (each != null) {
                each.open(URI.create("about:blank"));
            }
        }
    }

    @Test
    void opensAndSubscribesEveryChannel() {
        open(browser);
        assertEquals(List.of(COMMENTS, SCORES, NEWS),
                browser.script("return [...document.querySelectorAll('#channels tr[data-channel]')].map(tr => tr.dataset.channel);"));
        for (String channel : List.of(COMMENTS, SCORES, NEWS)) {
            assertNotEquals("-", cell(browser, channel, 2), channel + " shows its epoch");
        }
        assertEquals(List.of(), browser.consoleErrors());
    }

    @Test
    void whatABackendPublishesOverHttpShowsAtOnce() throws Exception {
        open(browser);
        publish(SCORES, "{\"home\":\"Lions\",\"away\":\"Tigers\",\"homeScore\":2,\"awayScore\":1,\"minute\":67}");
        browser.await("the score", d -> List.of("Lions", "2 \u2013 1", "Tigers", "67\u2032").equals(browser.script(
                "return ['.team.home', '.score', '.team.away', '.minute'].map(s => document.querySelector('#scoreboard ' + s)?.textContent);")));
        publish(NEWS, "{\"title\":\"Half time: Lions lead 2-1\"}");
        browser.await("the news", d -> "Half time: Lions lead 2-1".equals(browser.text("#news li:first-child .title")));
        assertFalse(browser.find("#news-empty").isDisplayed());
        publish(COMMENTS, "{\"text\":\"from the backend\"}");
        awaitBullet(browser, "from the backend", "bullet api");

        // For the picture: a few more comments, from the backend and from a viewer.
        List<String> more = List.of("What a goal!", "Lions all the way", "Welcome to the stream!");
        publish(COMMENTS, "{\"text\":\"" + more.get(0) + "\"}");
        comment(browser, more.get(1));
        publish(COMMENTS, "{\"text\":\"" + more.get(2) + "\"}");
        browser.await("the comments fully on the stage", d -> browser.<Boolean>script(
                "const stage = document.getElementById('stage').getBoundingClientRect();"
                        + " return arguments[0].every(t => [...document.querySelectorAll('#stage .bullet')]"
                        + ".some(b => b.textContent === t && b.getBoundingClientRect().right < stage.right - 8));", more));
        browser.screenshot("live");
        assertEquals(List.of(), browser.consoleErrors());
    }

    @Test
    void aViewersCommentFliesInEveryWindow() {
        bob = Browser.named("bob");
        open(browser);
        open(bob);
        comment(browser, "hello from alice");
        awaitBullet(browser, "hello from alice", "bullet");
        awaitBullet(bob, "hello from alice", "bullet");
        assertEquals("", browser.find("#comment").getDomProperty("value"), "the input is cleared");
        assertEquals("", browser.text("#error"));
        assertEquals(List.of(), browser.consoleErrors());
        assertEquals(List.of(), bob.consoleErrors());
    }

    @Test
    void markupInACommentOrTitleIsShownAsTextAndRunsNothing() throws Exception {
        String attack = "<img src=x onerror=window.pwned=1>";
        open(browser);
        publish(COMMENTS, "{\"text\":\"" + attack + "\"}");
        publish(NEWS, "{\"title\":\"" + attack + "\"}");
        comment(browser, attack);
        browser.await("both comments, as text", d -> bulletClasses(browser, attack).equals(List.of("bullet api", "bullet")));
        browser.await("the title, as text", d -> attack.equals(browser.text("#news li:first-child .title")));
        // A later comment as well: an image made from the attack would have failed to load by then.
        publish(COMMENTS, "{\"text\":\"after the attack\"}");
        awaitBullet(browser, "after the attack", "bullet api");
        assertEquals(0L, (Long) browser.script("return document.querySelectorAll('img').length;"), "no element made from it");
        assertEquals("undefined", browser.script("return typeof window.pwned;"), "no handler ran");
        assertEquals(List.of(), browser.consoleErrors());
    }

    @Test
    void reconnectsAfterARestartAndShowsEachChannelAsANewStream() throws Exception {
        open(browser);
        String epoch = cell(browser, SCORES, 2);
        server.stop();
        browser.awaitText("#state", "RECONNECTING");
        // The first close says 1001; the refused attempts after it, 1006: either, with its countdown.
        browser.await("why and when", d -> browser.text("#detail").matches("closed \\(code \\d+.*\\); reconnecting in [\\d.]+ s, attempt \\d+"));

        // A single node forgets its channels when it restarts: each comes back with a new epoch.
        server.restart();
        browser.awaitText("#state", "OPEN");
        for (String channel : List.of(COMMENTS, SCORES, NEWS)) {
            browser.await(channel + " shown afresh", d -> cell(browser, channel, 4).equals("not recovered: a new stream, shown afresh"));
        }
        assertNotEquals(epoch, cell(browser, SCORES, 2), "a new epoch");
        browser.await("the scoreboard emptied", d -> browser.text("#scoreboard").startsWith("The match started again"));

        publish(SCORES, "{\"home\":\"Lions\",\"away\":\"Tigers\",\"homeScore\":3,\"awayScore\":1,\"minute\":80}");
        browser.await("the score sent after the restart", d -> "3 \u2013 1".equals(browser.text("#scoreboard .score")));
        assertEquals(List.of(), browser.consoleErrors().stream().filter(e -> !e.contains("WebSocket connection to")).toList(),
                "no errors but the refused connection attempts while the server was down");
    }

    /** Opens the page and waits until it is connected and every channel answered its subscribe. */
    private static void open(Browser in) {
        in.open(server.http("live.html"));
        in.awaitText("#state", "OPEN");
        for (String channel : List.of(COMMENTS, SCORES, NEWS)) {
            in.await(channel + " subscribed", d -> cell(in, channel, 4).startsWith("subscribed: "));
        }
    }

    /** Column {@code n} (1: channel, 2: epoch, 3: seq, 4: subscription) of the channel's row. */
    private static String cell(Browser in, String channel, int n) {
        return in.text("#channels tr[data-channel='" + channel + "'] td:nth-child(" + n + ")");
    }

    /** What a backend does: {@code POST /api/publish} with the API key. */
    private static void publish(String channel, String data) throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(server.http("api/publish"))
                .header("Authorization", "Bearer " + SECRET)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"channel\":\"" + channel + "\",\"data\":" + data + "}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
    }

    /** What a viewer does: types a comment and clicks Send. */
    private static void comment(Browser in, String text) {
        in.await("Send enabled", d -> in.find("#send").isEnabled());
        in.find("#comment").sendKeys(text);
        in.find("#send").click();
    }

    /** Waits for a bullet with this text, and checks it is the only one and of this kind. */
    private static void awaitBullet(Browser in, String text, String className) {
        in.await("a bullet \"" + text + "\" in " + in.name() + "'s window", d -> !bulletClasses(in, text).isEmpty());
        assertEquals(List.of(className), bulletClasses(in, text));
    }

    /** The class names of the bullets on the stage showing exactly this text, oldest first. */
    private static List<String> bulletClasses(Browser in, String text) {
        return in.script("return [...document.querySelectorAll('#stage span.bullet')]"
                + ".filter(b => b.textContent === arguments[0]).map(b => b.className);", text);
    }
}
