package duplex.ops;

import duplex.bus.BusStatus;
import duplex.protocol.Jsons;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * Whether this node can serve, and the few figures an operator checks first. {@code /health}
 * answers with {@link #check()}: 200 and {@code "UP"}, or 503 and {@code "DOWN"} with the reason
 * when the application is stopping or its bus has been unreachable for longer than
 * {@code duplex.health.bus-grace}. Cheap: no I/O, safe to poll every second.
 */
public final class Health {

    public enum Status { UP, DOWN }

    /** The outcome: the status and the JSON body. */
    public record Report(Status status, JsonObject json) {
        public boolean up() {
            return status == Status.UP;
        }

        /** 200 when up, 503 Service Unavailable when not. */
        public int httpStatus() {
            return up() ? 200 : 503;
        }
    }

    private final Instant started;
    private final long startedNanos;
    private final BooleanSupplier serving;
    private final Supplier<Map<String, Integer>> connections;
    private final IntSupplier rooms;
    private final IntSupplier lingeringRooms;
    private final Supplier<BusStatus> bus;
    private final Duration busGrace;

    /**
     * @param serving     false once the application is shutting down
     * @param connections open sessions per endpoint
     * @param rooms       chat rooms with members on this node
     * @param lingeringRooms chat rooms without members, kept for the linger time (they count
     *                    against the room cap too, so both are shown)
     * @param bus         the bus in use
     * @param busGrace    how long the bus may be unreachable before the node reports DOWN
     */
    public Health(BooleanSupplier serving, Supplier<Map<String, Integer>> connections, IntSupplier rooms,
                  IntSupplier lingeringRooms, Supplier<BusStatus> bus, Duration busGrace) {
        this.lingeringRooms = lingeringRooms;
        this.started = Instant.now();
        this.startedNanos = System.nanoTime();
        this.serving = serving;
        this.connections = connections;
        this.rooms = rooms;
        this.bus = bus;
        this.busGrace = busGrace;
    }

    public Duration uptime() {
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }

    public BusStatus bus() {
        return bus.get();
    }

    public Report check() {
        BusStatus busNow = bus.get();
        Duration unreachable = busNow.unreachableFor();
        String reason = null;
        if (!serving.getAsBoolean()) {
            reason = "shutting down";
        } else if (busNow.state() == BusStatus.State.RECONNECTING && unreachable.compareTo(busGrace) > 0) {
            reason = busNow.kind() + " bus unreachable for " + unreachable.toSeconds() + " s (allowed: "
                    + busGrace.toSeconds() + " s)";
        }
        Status status = reason == null ? Status.UP : Status.DOWN;

        Duration uptime = uptime();
        JsonObjectBuilder perEndpoint = Jsons.createObjectBuilder();
        int total = 0;
        for (Map.Entry<String, Integer> entry : connections.get().entrySet()) {
            perEndpoint.add(entry.getKey(), entry.getValue());
            total += entry.getValue();
        }
        JsonObjectBuilder busJson = Jsons.createObjectBuilder()
                .add("type", busNow.kind())
                .add("state", busNow.state().name().toLowerCase(Locale.ROOT));
        if (busNow.state() == BusStatus.State.RECONNECTING) {
            busJson.add("unreachableSeconds", unreachable.toMillis() / 1000.0);
        }
        JsonObjectBuilder json = Jsons.createObjectBuilder()
                .add("status", status.name());
        if (reason != null) {
            json.add("reason", reason);
        }
        json.add("startedAt", started.toString())
                .add("uptime", uptime.withNanos(0).toString())
                .add("uptimeSeconds", uptime.toSeconds())
                .add("connections", perEndpoint.build())
                .add("connectionsTotal", total)
                .add("rooms", rooms.getAsInt())
                .add("lingeringRooms", lingeringRooms.getAsInt())
                .add("bus", busJson.build());
        return new Report(status, json.build());
    }

    /** The body served when no Duplex is running in the web application (starting or stopped). */
    public static Report notRunning() {
        return new Report(Status.DOWN, Jsons.createObjectBuilder()
                .add("status", Status.DOWN.name())
                .add("reason", "not running (starting or stopped)")
                .build());
    }
}
