package duplex.chat;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class QueryParameterTest {

    @Test
    void decodesUtf8FromTheRawQuery() {
        assertEquals(Optional.of("Zoë 發 🚀"), ChatEndpoint.parameter("name=Zo%C3%AB%20%E7%99%BC+%F0%9F%9A%80&since=4", "name"));
        assertEquals(Optional.of("4"), ChatEndpoint.parameter("name=Zo%C3%AB&since=4", "since"));
        assertEquals(Optional.of("first"), ChatEndpoint.parameter("name=first&name=second", "name"));
        assertEquals(Optional.of(""), ChatEndpoint.parameter("name=&since=1", "name"));
        assertEquals(Optional.of(""), ChatEndpoint.parameter("name", "name"));
        assertEquals(Optional.empty(), ChatEndpoint.parameter("since=1", "name"));
        assertEquals(Optional.empty(), ChatEndpoint.parameter((String) null, "name"));
        assertEquals(Optional.empty(), ChatEndpoint.parameter("", "name"));
    }

    @Test
    void aMalformedEscapeIsAnInvalidValueNotAnException() {
        Optional<String> broken = ChatEndpoint.parameter("name=%E7%9&since=1", "name");
        assertEquals(Optional.empty(), Names.nickname(broken.orElseThrow()));
        assertEquals(Optional.of("1"), ChatEndpoint.parameter("name=%E7%9&since=1", "since"));
    }
}
