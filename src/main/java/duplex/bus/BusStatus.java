package duplex.bus;

import java.time.Duration;

/**
 * What {@code /health} and the dashboard need to know about the message bus that carries
 * broadcasts between nodes. The single-node application uses {@link #LOCAL}; a Redis bus
 * implements this and reports its connection. Implementations answer at once (no I/O).
 */
public interface BusStatus {

    enum State {
        /** In-process only: nothing to lose. */
        LOCAL,
        /** Connected to its server. */
        CONNECTED,
        /** Lost its server and trying again. */
        RECONNECTING
    }

    /** {@code "local"} or {@code "redis"}. */
    String kind();

    State state();

    /** How long the bus has been unreachable; {@link Duration#ZERO} while it is reachable. */
    Duration unreachableFor();

    /** The in-process bus of a single node: always up. */
    BusStatus LOCAL = new BusStatus() {
        @Override
        public String kind() {
            return "local";
        }

        @Override
        public State state() {
            return State.LOCAL;
        }

        @Override
        public Duration unreachableFor() {
            return Duration.ZERO;
        }
    };
}
