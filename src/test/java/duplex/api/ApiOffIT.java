package duplex.api;

import duplex.testing.ServerUnderTest;
import duplex.testing.TomcatServer;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Without duplex.api.keys the API is off: every path answers 404, with a JSON error. */
class ApiOffIT {

    @Test
    void withoutKeysEveryApiPathIs404() throws Exception {
        try (TomcatServer off = ServerUnderTest.tomcat(Map.of())) {
            ApiIT.Answer answer = ApiIT.call(off, "POST", "publish", "shop-secret-0123456789", "{\"channel\":\"news:x\",\"data\":1}");
            assertEquals(404, answer.status());
            assertEquals("not_found", answer.code());
            assertEquals(404, ApiIT.call(off, "GET", "channels", null, null).status());
        }
    }
}
