package duplex.ops;

import duplex.bus.BusStatus;
import duplex.protocol.ErrorCode;
import duplex.testing.Scrape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsTest {

    private final Metrics metrics = new Metrics(List.of("echo", "chat"));

    @AfterEach
    void close() {
        metrics.close();
    }

    private Scrape scrape() {
        return Scrape.parse(metrics.scrape(Metrics.TEXT_CONTENT_TYPE));
    }

    @Test
    void everyEndpointHasItsSeriesAtZeroFromTheStart() {
        Scrape scrape = scrape();
        for (String endpoint : List.of("echo", "chat")) {
            assertEquals(0, scrape.value("duplex_sessions_open", "endpoint", endpoint));
            assertEquals(0, scrape.value("duplex_messages_received_total", "endpoint", endpoint));
            assertEquals(0, scrape.value("duplex_messages_sent_total", "endpoint", endpoint));
            assertEquals(0, scrape.value("duplex_sent_bytes_total", "endpoint", endpoint));
            assertEquals(0, scrape.value("duplex_slow_consumers_total", "endpoint", endpoint));
            assertEquals(0, scrape.value("duplex_errors_total", "endpoint", endpoint, "code", "bad_json"));
        }
    }

    @Test
    void trafficMovesTheCountersOfItsOwnEndpoint() {
        EndpointMetrics echo = metrics.endpoint("echo");
        echo.opened();
        echo.opened();
        echo.received(5);
        echo.written(1, 5);
        echo.written(1, 7);
        echo.slowConsumer();
        echo.closed(1008);
        echo.closed(1000);
        echo.opened();
        metrics.endpoint("chat").error(ErrorCode.BAD_JSON);
        metrics.endpoint("chat").rateLimited();
        metrics.endpoint("chat").fanOut(2_000_000);
        metrics.conflatedQuotes(() -> 3);

        Scrape scrape = scrape();
        assertEquals(1, scrape.value("duplex_sessions_open", "endpoint", "echo"));
        assertEquals(3, scrape.value("duplex_sessions_opened_total", "endpoint", "echo"));
        assertEquals(1, scrape.value("duplex_messages_received_total", "endpoint", "echo"));
        assertEquals(5, scrape.value("duplex_received_bytes_total", "endpoint", "echo"));
        assertEquals(2, scrape.value("duplex_messages_sent_total", "endpoint", "echo"));
        assertEquals(12, scrape.value("duplex_sent_bytes_total", "endpoint", "echo"));
        assertEquals(1, scrape.value("duplex_slow_consumers_total", "endpoint", "echo"));
        assertEquals(1, scrape.value("duplex_closes_total", "endpoint", "echo", "code", "1008"));
        assertEquals(1, scrape.value("duplex_closes_total", "endpoint", "echo", "code", "1000"));
        assertEquals(1, scrape.value("duplex_errors_total", "endpoint", "chat", "code", "bad_json"));
        assertEquals(0, scrape.value("duplex_errors_total", "endpoint", "echo", "code", "bad_json"));
        assertEquals(1, scrape.value("duplex_rate_limited_total", "endpoint", "chat"));
        assertEquals(1, scrape.histogramCount("duplex_broadcast_fanout_seconds", "endpoint", "chat"));
        assertEquals(3, scrape.value("duplex_quotes_conflated_total"));
        assertEquals(0, scrape.value("duplex_messages_sent_total", "endpoint", "chat"));
    }

    @Test
    void jvmAndThreadMetricsAreThere() {
        Scrape scrape = scrape();
        assertTrue(scrape.value("jvm_threads_live_threads") > 0);
        assertTrue(scrape.sum("jvm_memory_used_bytes", "area", "heap") > 0);
        assertTrue(scrape.value("process_uptime_seconds") >= 0);
        assertTrue(scrape.family("jvm_gc_pause_seconds").isPresent() || scrape.family("jvm_gc_memory_allocated_bytes_total").isPresent());
    }

    @Test
    void busAndRoomGaugesReadTheirSourcesAtScrapeTime() {
        int[] rooms = {2};
        metrics.rooms(() -> rooms[0], () -> 0);
        metrics.bus(() -> BusStatus.LOCAL);
        assertEquals(2, scrape().value("duplex_rooms"));
        rooms[0] = 5;
        assertEquals(5, scrape().value("duplex_rooms"));
        assertEquals(1, scrape().value("duplex_bus_up", "bus", "local"));
    }

    @Test
    void lingeringRoomsAndTheMemoryBudgetAreGauges() {
        int[] lingering = {3};
        metrics.rooms(() -> 1, () -> lingering[0]);
        duplex.guard.MemoryBudget budget = new duplex.guard.MemoryBudget(1000, 5000);
        metrics.budget(budget);
        budget.tryCharge("10.0.0.1", 700);
        assertEquals(3, scrape().value("duplex_rooms_lingering"));
        assertEquals(700, scrape().value("duplex_memory_held_bytes"));
        assertEquals(5000, scrape().value("duplex_memory_budget_bytes"));
        assertEquals(1, scrape().value("duplex_memory_addresses"));
        budget.release("10.0.0.1", 700);
        assertEquals(0, scrape().value("duplex_memory_held_bytes"));
    }

    @Test
    void closeCodesFromPeersCannotGrowTheSeriesWithoutBound() {
        assertEquals("1000", EndpointMetrics.closeCodeLabel(1000));
        assertEquals("1015", EndpointMetrics.closeCodeLabel(1015));
        assertEquals("4001", EndpointMetrics.closeCodeLabel(4001));
        assertEquals("other", EndpointMetrics.closeCodeLabel(3000));
        assertEquals("other", EndpointMetrics.closeCodeLabel(4999));
        EndpointMetrics echo = metrics.endpoint("echo");
        for (int code = 4100; code < 4999; code++) {
            echo.opened();
            echo.closed(code);
        }
        assertEquals(899, scrape().value("duplex_closes_total", "endpoint", "echo", "code", "other"));
    }

    @Test
    void openMetricsIsServedWhenAskedFor() {
        assertEquals(Metrics.OPENMETRICS_CONTENT_TYPE, Metrics.contentTypeFor("application/openmetrics-text;version=1.0.0,text/plain;q=0.5"));
        assertEquals(Metrics.TEXT_CONTENT_TYPE, Metrics.contentTypeFor("text/plain"));
        assertEquals(Metrics.TEXT_CONTENT_TYPE, Metrics.contentTypeFor(null));
        assertTrue(metrics.scrape(Metrics.OPENMETRICS_CONTENT_TYPE).endsWith("# EOF\n"));
    }

    @Test
    void theScrapeCheckRejectsALineTheParserCouldNotRead() {
        // The parser library skips what it cannot read; Scrape.parse must turn that into a failure.
        String broken = metrics.scrape(Metrics.TEXT_CONTENT_TYPE) + "duplex_broken{endpoint=\"echo\" 1\n";
        assertThrows(AssertionError.class, () -> Scrape.parse(broken));
    }
}
