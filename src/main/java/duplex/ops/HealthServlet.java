package duplex.ops;

import duplex.app.Duplex;
import duplex.protocol.Jsons;
import jakarta.json.JsonWriter;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * {@code GET /health}: 200 with {@code {"status":"UP",...}}, or 503 with {@code "DOWN"} and a
 * reason. For load balancers, container health checks and people. Never cached.
 */
@WebServlet("/health")
public class HealthServlet extends HttpServlet {

    private final transient Supplier<Health> health;

    /** As the container builds it: asks the running {@link Duplex} of this web application. */
    public HealthServlet() {
        this.health = null;
    }

    /** With its own source of health: for tests and embedding. */
    public HealthServlet(Supplier<Health> health) {
        this.health = health;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Health source = health != null ? health.get() : running();
        Health.Report report = source == null ? Health.notRunning() : source.check();
        response.setStatus(report.httpStatus());
        response.setContentType("application/json");
        response.setCharacterEncoding(StandardCharsets.UTF_8.name());
        response.setHeader("Cache-Control", "no-store");
        try (JsonWriter writer = Jsons.createWriter(response.getOutputStream())) {
            writer.writeObject(report.json());
        }
    }

    private Health running() {
        return getServletContext().getAttribute(Duplex.class.getName()) instanceof Duplex duplex ? duplex.health() : null;
    }
}
