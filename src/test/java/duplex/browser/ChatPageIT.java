package duplex.browser;

import duplex.testing.Browser;
import duplex.testing.WarServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chat page in two independent headless Chromium browsers (separate profiles: nothing
 * shared but the server), in the same room, against /chat of the built WAR in Tomcat.
 */
class ChatPageIT extends PageTestBase {

    private static Browser alice;
    private static Browser bob;

    @BeforeAll
    static void secondBrowser() {
        alice = browser;
        bob = Browser.named("bob");
    }

    @AfterEach
    void leavePages() {
        // Leaving the page closes its connection; the next test starts from a blank window.
        for (Browser browser : new Browser[] {alice, bob}) {
            if (browser != null) {
                browser.resize(Browser.WIDTH, Browser.HEIGHT).open(URI.create("about:blank"));
            }
        }
    }

    @Test
    void twoPeopleTalkSeeEachOtherJoinAndLeave() {
        String room = "browser-talk";
        // Two windows of a size that fits side by side in the README's screenshot.
        alice.resize(900, 860);
        bob.resize(900, 860);
        join(alice, server, room, "Alice");
        assertEquals(List.of("Alice (you)"), members(alice));

        join(bob, server, room, "Bob");
        alice.await("Bob in Alice's member list", d -> members(alice).equals(List.of("Alice (you)", "Bob")));
        assertEquals(List.of("Alice", "Bob (you)"), members(bob));
        alice.await("Bob joined, in Alice's window", d -> systemLines(alice).contains("Bob joined"));

        // A conversation: each line appears in both windows, with its sender's name, in order.
        List<String> expected = new ArrayList<>();
        say(alice, "Alice", "Hi Bob! Did the WebSocket upgrade work for you?", expected);
        say(bob, "Bob", "It did: one connection, both directions.", expected);
        say(alice, "Alice", "No polling at all. Messages arrive the moment they are sent.", expected);
        say(bob, "Bob", "And a slow reader cannot stall the room. Ünïcödé ✓", expected);
        for (Browser browser : new Browser[] {alice, bob}) {
            browser.script("window.scrollTo(0, 0);");
        }
        Browser.screenshotSideBySide("chat", alice, bob);

        // A burst typed faster than the round trip: both windows still agree on the order.
        for (int i = 1; i <= 5; i++) {
            String line = "burst " + i;
            alice.find("#text").sendKeys(line, Keys.ENTER);
            expected.add("Alice: " + line);
        }
        alice.await("the burst in Alice's window", d -> messages(alice).equals(expected));
        bob.await("the burst in Bob's window", d -> messages(bob).equals(expected));

        // Bob's own lines are marked as his, Alice's are not.
        assertEquals(2L, (Long) bob.script("return document.querySelectorAll('#messages li.mine').length;"));

        bob.find("#leave").click();
        bob.awaitText("#state", "CLOSED");
        alice.await("Bob gone from Alice's member list", d -> members(alice).equals(List.of("Alice (you)")));
        alice.await("Bob left, in Alice's window", d -> systemLines(alice).contains("Bob left"));
        assertEquals(List.of(), alice.consoleErrors());
        assertEquals(List.of(), bob.consoleErrors());
    }

    @Test
    void markupInAMessageIsShownAsTextAndRunsNothing() {
        String room = "browser-markup";
        join(alice, server, room, "Alice");
        join(bob, server, room, "Mallory <b>");
        alice.await("Mallory in Alice's member list", d -> members(alice).contains("Mallory <b>"));

        String attack = "<img src=x onerror=alert(1)>";
        List<String> expected = new ArrayList<>();
        say(bob, "Mallory <b>", attack, expected);
        // A later message as well: had the first one created an image, its failed load (and the
        // onerror) would have had a full round trip to happen by now.
        say(alice, "Alice", "after the attack", expected);

        for (Browser browser : new Browser[] {alice, bob}) {
            assertEquals(0L, (Long) browser.script("return document.querySelectorAll('img').length;"),
                    "no element was made from the message in " + browser.name() + "'s window");
            assertEquals(0L, (Long) browser.script("return document.querySelectorAll('#messages b, #members b').length;"),
                    "names are text too");
            assertEquals(attack, browser.script(
                    "return [...document.querySelectorAll('#messages li .text')].map(e => e.textContent)[0];"));
            assertFalse(browser.dialogOpen(), "no alert opened in " + browser.name() + "'s window");
        }
        alice.screenshot("chat-markup");
        assertEquals(List.of(), alice.consoleErrors());
        assertEquals(List.of(), bob.consoleErrors());
    }

    /**
     * Issue 14, finding 7: every name on the page stands in a bidi isolate, so a right-to-left
     * name (here with digits after it, which would otherwise join the Hebrew run) cannot reorder
     * the time, "joined" or the verified mark around it.
     */
    @Test
    void namesAreBidiIsolatedWhereverTheyAppear() {
        String room = "browser-bidi";
        String hebrew = "\u05E9\u05E8\u05D4 2"; // "Sarah 2"
        join(alice, server, room, "Alice");
        join(bob, server, room, hebrew);
        alice.await(hebrew + " in Alice's member list", d -> members(alice).contains(hebrew));
        List<String> expected = new ArrayList<>();
        say(bob, hebrew, "shalom", expected);
        bob.find("#new-name").sendKeys("\u05E9\u05E8\u05D4 3", Keys.ENTER);
        alice.await("the rename in Alice's window",
                d -> systemLines(alice).contains(hebrew + " is now \u05E9\u05E8\u05D4 3"));
        // Every place a name appears, as an isolated element holding exactly the name.
        String isolated = "return [...document.querySelectorAll(arguments[0])]"
                + ".map(e => e.tagName + ' ' + getComputedStyle(e).unicodeBidi + ' ' + e.textContent);";
        assertEquals(List.of("BDI isolate Alice", "BDI isolate \u05E9\u05E8\u05D4 3"),
                alice.script(isolated, "#members li > :first-child"));
        assertEquals(List.of("BDI isolate " + hebrew), alice.script(isolated, "#messages .who > :first-child"));
        assertEquals(List.of("BDI isolate " + hebrew, "BDI isolate " + hebrew, "BDI isolate \u05E9\u05E8\u05D4 3"),
                alice.script(isolated, "#messages li.system bdi"));
        assertEquals(List.of("BDI isolate \u05E9\u05E8\u05D4 3"), bob.script(isolated, "#room-title bdi"));
        assertEquals(List.of(), alice.consoleErrors());
        assertEquals(List.of(), bob.consoleErrors());
    }

    /** Opens the page with room and name in its address, which joins at once, and waits for the welcome. */
    static void join(Browser browser, WarServer server, String room, String name) {
        browser.open(server.http("chat.html?room=" + room + "&name=" + URLEncoder.encode(name, StandardCharsets.UTF_8)));
        browser.awaitText("#state", "OPEN");
        browser.await("the welcome", d -> browser.text("#room-title").equals("Room " + room + " as " + name));
        assertTrue(browser.find("#text").isEnabled());
    }

    /** Types a line in one window and waits until every window in the room shows the conversation so far. */
    private static void say(Browser from, String name, String text, List<String> expected) {
        from.await("the input enabled", d -> from.find("#text").isEnabled());
        from.find("#text").sendKeys(text, Keys.ENTER);
        expected.add(name + ": " + text);
        for (Browser browser : new Browser[] {alice, bob}) {
            browser.await("\"" + text + "\" in " + browser.name() + "'s window", d -> messages(browser).equals(expected));
        }
    }

    /** The chat lines shown, as "name: text", in page order. */
    static List<String> messages(Browser browser) {
        return browser.script("return [...document.querySelectorAll('#messages li')]"
                + ".filter(li => li.querySelector('.who'))"
                + ".map(li => li.querySelector('.who').textContent + ': ' + li.querySelector('.text').textContent);");
    }

    /** The presence and notice lines shown, without their time. */
    static List<String> systemLines(Browser browser) {
        return browser.script("return [...document.querySelectorAll('#messages li.system, #messages li.notice')]"
                + ".map(li => li.textContent.replace(/^\\S+(\\s[AP]M)?\\s+/, ''));");
    }

    /** The member list as shown, in join order. */
    static List<String> members(Browser browser) {
        return browser.script("return [...document.querySelectorAll('#members li')].map(li => li.textContent);");
    }
}
