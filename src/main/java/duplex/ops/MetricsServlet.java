package duplex.ops;

import duplex.app.Duplex;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET /metrics}: every metric in the Prometheus text format (0.0.4), or OpenMetrics when
 * the scraper asks for it in its Accept header, as Micrometer's Prometheus registry writes it.
 */
@WebServlet("/metrics")
public class MetricsServlet extends HttpServlet {

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!(getServletContext().getAttribute(Duplex.class.getName()) instanceof Duplex duplex)) {
            response.sendError(HttpServletResponse.SC_SERVICE_UNAVAILABLE, "Duplex is not running");
            return;
        }
        String contentType = Metrics.contentTypeFor(request.getHeader("Accept"));
        byte[] body = duplex.metrics().scrape(contentType).getBytes(StandardCharsets.UTF_8);
        response.setContentType(contentType);
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
