package duplex.live;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NamespacesTest {

    @Test
    void theShippedDefaultsHaveNewsAndComments() {
        Namespaces defaults = Namespaces.defaults();
        Namespace news = defaults.of(ChannelName.parse("news:eu").orElseThrow()).orElseThrow();
        assertFalse(news.clientPublish(), "only the API publishes news");
        assertEquals(100, news.history());
        Namespace comments = defaults.of(ChannelName.parse("comments:video42").orElseThrow()).orElseThrow();
        assertTrue(comments.clientPublish());
        assertEquals(200, comments.history());
        assertTrue(defaults.of(ChannelName.parse("scores:m1").orElseThrow()).orElseThrow().conflate());
        assertTrue(defaults.of(ChannelName.parse("nowhere:x").orElseThrow()).isEmpty());
    }

    @Test
    void aPolicyHasDefaultsForWhatItLeavesOut() {
        Namespace n = Namespaces.parse("{\"games\": {\"presence\": true, \"apiKeys\": [\"shop\"]}}")
                .of(ChannelName.parse("games").orElseThrow()).orElseThrow();
        assertEquals(new Namespace("games", false, 0, Duration.ofHours(1), true, false, false, Set.of("shop")), n);
        assertTrue(n.allowsKey("shop"));
        assertFalse(n.allowsKey("other"));
    }

    @Test
    void aWrongFileStopsTheStartNamingWhatIsWrong() {
        assertMessage("unknown field \"histroy\"", "{\"news\": {\"histroy\": 1}}");
        assertMessage("\"history\" must be a whole number", "{\"news\": {\"history\": 1.5}}");
        assertMessage("\"history\" must be a whole number", "{\"news\": {\"history\": 100000}}");
        assertMessage("\"clientPublish\" must be true or false", "{\"news\": {\"clientPublish\": \"yes\"}}");
        assertMessage("is not a namespace", "{\"news:eu\": {}}");
        assertMessage("must be a JSON object", "{\"news\": 1}");
        assertMessage("\"apiKeys\" must be a non-empty array", "{\"news\": {\"apiKeys\": []}}");
        assertMessage("not a JSON object", "[1]");
    }

    private static void assertMessage(String expected, String json) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Namespaces.parse(json));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
