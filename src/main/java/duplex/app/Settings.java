package duplex.app;

import java.time.Duration;
import java.util.Map;

/**
 * Every knob of the application, read once at start. The README's configuration table lists
 * the same names, defaults and meanings; keep the two together.
 *
 * @param echoMaxTextBytes   largest text message /echo accepts, in UTF-8 bytes; one more closes with 1009
 * @param echoMaxBinaryBytes largest binary message /echo accepts; one more closes with 1009
 * @param idleTimeout        a connection from which nothing (no message, no pong) arrived for this long
 *                           is closed with 1001
 * @param pingInterval       how often the server pings every connection (0: never); a peer that has
 *                           not been heard from for two intervals is closed with 1001 as dead
 * @param outboxMaxMessages  messages queued for one connection before it is cut off as a slow consumer
 * @param outboxMaxBytes     bytes queued for one connection before it is cut off as a slow consumer
 * @param sendTimeout        one send that has not completed within this time fails and closes the connection
 * @param healthBusGrace     how long the message bus may be unreachable before /health reports DOWN (503)
 * @param statsInterval      how often the /stats endpoint sends the dashboard a snapshot
 */
public record Settings(
        int echoMaxTextBytes,
        int echoMaxBinaryBytes,
        Duration idleTimeout,
        Duration pingInterval,
        int outboxMaxMessages,
        long outboxMaxBytes,
        Duration sendTimeout,
        Duration healthBusGrace,
        Duration statsInterval) {

    public static Settings load(Config config) {
        return new Settings(
                config.integer("duplex.echo.max-text-bytes", 65_536, 1, 64 * 1024 * 1024),
                config.integer("duplex.echo.max-binary-bytes", 1_048_576, 1, 64 * 1024 * 1024),
                config.duration("duplex.idle-timeout", Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofDays(1)),
                config.duration("duplex.ping-interval", Duration.ofSeconds(30), Duration.ZERO, Duration.ofHours(1)),
                config.integer("duplex.outbox.max-messages", 1000, 1, 1_000_000),
                config.longValue("duplex.outbox.max-bytes", 1_048_576, 1024, 1L << 30),
                config.duration("duplex.send-timeout", Duration.ofSeconds(30), Duration.ofMillis(100), Duration.ofHours(1)),
                config.duration("duplex.health.bus-grace", Duration.ofSeconds(10), Duration.ZERO, Duration.ofHours(1)),
                config.duration("duplex.stats.interval", Duration.ofSeconds(1), Duration.ofMillis(100), Duration.ofMinutes(1)));
    }

    public static Settings defaults() {
        return load(Config.of(Map.of()));
    }
}
