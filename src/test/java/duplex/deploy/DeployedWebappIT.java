package duplex.deploy;

import duplex.testing.ServerUnderTest;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What only a deployed WAR has: the pages and assets served by the container, and the servlets.
 * /health writes JSON with the JSON-P the server resolves (Parsson from the WAR on Tomcat,
 * Payara's own on Payara), so it is also where a class-loading clash between the two would show.
 * Runs in the deployment suites; skipped on embedded Tyrus, which serves WebSockets only.
 */
class DeployedWebappIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20)).build();
    private static URI base;

    @BeforeAll
    static void deployedOnly() {
        assumeTrue(ServerUnderTest.deployed().isPresent(), "needs a deployed server (-Dduplex.baseUrl)");
        base = ServerUnderTest.deployed().orElseThrow();
    }

    @Test
    void everyPageOfTheWebappIsServedAsHtml() throws IOException {
        List<String> pages;
        try (Stream<Path> files = Files.list(Path.of("webapp"))) {
            pages = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".html")).sorted().toList();
        }
        assertTrue(pages.contains("index.html"), pages.toString());
        for (String page : pages) {
            HttpResponse<String> response = get(page);
            assertEquals(200, response.statusCode(), page);
            assertTrue(contentType(response).startsWith("text/html"), page + ": " + contentType(response));
            assertTrue(response.body().contains("</html>"), page + " is served whole");
        }
        assertEquals(200, get("").statusCode(), "the context root serves the index page");
    }

    @Test
    void assetsAreServedWithTheirTypes() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("webapp", "assets"))) {
            for (String asset : files.map(p -> p.getFileName().toString()).sorted().toList()) {
                HttpResponse<String> response = get("assets/" + asset);
                assertEquals(200, response.statusCode(), asset);
                if (asset.endsWith(".css")) {
                    assertTrue(contentType(response).startsWith("text/css"), asset + ": " + contentType(response));
                } else if (asset.endsWith(".js")) {
                    assertTrue(contentType(response).contains("javascript"), asset + ": " + contentType(response));
                }
            }
        }
    }

    @Test
    void healthIsUpAsJson() {
        HttpResponse<String> response = get("health");
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(contentType(response).startsWith("application/json"), contentType(response));
        try (JsonReader reader = Json.createReader(new StringReader(response.body()))) {
            JsonObject health = reader.readObject();
            assertEquals("UP", health.getString("status"), response.body());
            assertTrue(health.getJsonObject("connections").containsKey("echo"), response.body());
        }
    }

    @Test
    void metricsAreServedInPrometheusFormat() {
        HttpResponse<String> response = get("metrics");
        assertEquals(200, response.statusCode());
        assertTrue(response.body().lines().anyMatch(l -> l.startsWith("duplex_sessions_open{")), "duplex series present");
        assertFalse(response.body().isBlank());
    }

    private static HttpResponse<String> get(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError("GET " + base.resolve(path) + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static String contentType(HttpResponse<?> response) {
        return response.headers().firstValue("Content-Type").orElse("");
    }
}
