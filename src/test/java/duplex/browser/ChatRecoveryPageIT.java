package duplex.browser;

import duplex.testing.Browser;
import duplex.testing.WsClient;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chat page survives a server restart: it shows that it is reconnecting, comes back by
 * itself, and shows what was said while it was away. Its own server, since the test stops it.
 */
class ChatRecoveryPageIT extends PageTestBase {

    private static final String ROOM = "browser-recovery";

    private static Browser alice;

    @BeforeAll
    static void aliceIsTheSharedBrowser() {
        alice = browser;
    }

    @Test
    void reconnectsByItselfAfterARestartAndShowsWhatWasSaidMeanwhile() {
        List<String> expected = new ArrayList<>();
        ChatPageIT.join(alice, server, ROOM, "Alice");
        try (WsClient bob = WsClient.connect(server.ws("chat/" + ROOM + "?name=Bob"))) {
            say(bob, "before the restart, one", expected);
            say(bob, "before the restart, two", expected);
            alice.await("Bob's lines", d -> ChatPageIT.messages(alice).equals(expected));
        }

        server.stop();
        alice.awaitText("#state", "RECONNECTING");
        alice.await("the countdown to the next attempt", d -> alice.text("#detail").startsWith("reconnecting in "));
        assertTrue(ChatPageIT.systemLines(alice).stream().anyMatch(line -> line.startsWith("Connection closed: code 1001")),
                () -> "the page says why: " + ChatPageIT.systemLines(alice));
        alice.screenshot("chat-reconnecting");

        // The server comes back, and Carol talks before Alice's page can reach it: the page must
        // then fetch what it missed, not only what is said after it is back.
        List<String> meanwhile = List.of("while you were away, one", "while you were away, two", "while you were away, three");
        server.restart(side -> {
            try (WsClient carol = WsClient.connect(URI.create("ws" + side.toString().substring(4) + "chat/" + ROOM + "?name=Carol"))) {
                for (String text : meanwhile) {
                    say(carol, text, null);
                }
            }
        });
        alice.awaitText("#state", "OPEN");
        alice.await("the messages sent meanwhile", d -> ChatPageIT.messages(alice).stream().filter(m -> m.startsWith("Carol: ")).count() == meanwhile.size());
        List<String> shown = ChatPageIT.messages(alice);
        assertEquals(meanwhile.stream().map(text -> "Carol: " + text).toList(),
                shown.subList(shown.size() - meanwhile.size(), shown.size()), "in the order they were sent");

        // And the page is fully live again.
        try (WsClient carol = WsClient.connect(server.ws("chat/" + ROOM + "?name=Carol"))) {
            alice.await("Carol in the member list", d -> ChatPageIT.members(alice).contains("Carol"));
            say(carol, "welcome back", null);
            alice.await("a message said after the reconnect", d -> ChatPageIT.messages(alice).contains("Carol: welcome back"));
        }
        alice.screenshot("chat-recovered");
        assertEquals(List.of(), alice.consoleErrors().stream().filter(e -> !e.contains("WebSocket connection to")).toList(),
                "no errors but the refused connection attempts while the server was down");
    }

    /** Sends a chat line from a Java client and waits for the server to broadcast it back. */
    private static void say(WsClient client, String text, List<String> expected) {
        client.send("{\"type\":\"say\",\"text\":\"" + text + "\"}");
        String echoed;
        do {
            echoed = client.nextText();
        } while (!(echoed.contains("\"type\":\"message\"") && echoed.contains(text)));
        if (expected != null) {
            expected.add("Bob: " + text);
        }
    }
}
