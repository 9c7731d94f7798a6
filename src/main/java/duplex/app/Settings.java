package duplex.app;

import duplex.guard.RateLimiter;
import duplex.guard.OriginPolicy;
import duplex.guard.Secret;
import duplex.guard.TrustedProxies;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Every knob of the application, read once at start. The configuration table in
 * docs/configuration.md lists the same names, defaults and meanings; keep the two together.
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
 * @param redisUrl           Redis to join a cluster through ({@code redis://host:6379}); empty: one node, in-process bus
 * @param redisTimeout       longest wait for one Redis command (a say fails with "unavailable" after it)
 * @param clusterHeartbeat   how often a node renews its liveness, re-announces its members and its leases
 * @param clusterNodeTimeout a node not heard from for this long is dead: its members leave, its leases expire
 * @param chatHistory        chat messages a room keeps for the welcome and for recovery with {@code since}
 * @param chatMaxFrameChars  largest client message /chat accepts, in characters of the whole JSON text;
 *                           the container closes a larger one with 1009
 * @param chatRoomLinger     how long an empty room keeps its history and seq before it is dropped
 * @param chatMaxRooms       rooms that may exist at once; a new room past this is refused with 1013
 * @param rateLimitPerSecond client messages per second one session may send, sustained
 * @param rateLimitBurst     client messages one session may send at once after a quiet spell
 * @param rateLimitStrikes   rate_limited answers (one forgiven per second) after which a session is closed with 1008
 * @param quotesTicksPerSecond how many times a second each symbol of the simulated feed moves
 * @param quotesSeed         seed of the simulated feed's random walk: the same seed, the same prices
 * @param allowedOrigins     origins (besides the application's own) whose pages may open a WebSocket;
 *                           {@code *} allows every origin (development only)
 * @param maxConnectionsPerAddress open connections one client address may have, over all endpoints;
 *                           one more is closed with 1013 Try Again Later
 * @param memoryPerAddress   heap one client address may make the server hold (chat history it posted, messages
 *                           it is sending, echo replies waiting for it), in bytes
 * @param memoryTotal        heap all clients together may make the server hold; past it the oldest chat
 *                           history is evicted and new partial messages are refused
 * @param chatMaxRoomsPerAddress rooms one client address may have created that still exist (lingering included)
 * @param rateLimitPerAddress client messages per second all connections of one address may send together,
 *                           sustained (twice that at once); reconnecting does not refill it
 * @param blockingSendTimeout longest a container's blocking send (a close frame, a ping, a pong) may wait
 *                           for a peer that does not read
 * @param trustedProxies     reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed; none by default
 * @param publicOrigin       the application's own origin ({@code https://chat.example.com}), the same-origin
 *                           reference instead of the request's scheme and Host; empty: from the request
 * @param opsToken           bearer token that /metrics, /stats and dashboard.html require; empty: none
 * @param opsRole            container role that may read /metrics, /stats and dashboard.html; empty: none
 * @param maxSendsInFlight   connections, over the whole server, that may have a send in flight at once;
 *                           well below the container's worker threads (see {@link duplex.delivery.SendGate})
 * @param chatPresenceTick   how long a room gathers joins, renames and leaves into one {@code presence}
 *                           message (0: one message per change, at once)
 * @param chatMembersPage    most members a welcome lists; a larger room's welcome gives the count and a
 *                           cursor, and the client asks for the rest in pages of this size
 * @param permessageDeflate  whether the WebSocket extension {@code permessage-deflate} (RFC 7692) is negotiated
 * @param groupedWrites      whether the frames waiting for a connection go out in one socket write where the
 *                           container allows it (Tomcat); off: one write per frame everywhere
 *                           when a client offers it; off by default: a zlib deflater and inflater per
 *                           connection cost about 130 KiB of native memory on Tomcat, idle or not
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
        Duration statsInterval,
        String redisUrl,
        Duration redisTimeout,
        Duration clusterHeartbeat,
        Duration clusterNodeTimeout,
        int chatHistory,
        int chatMaxFrameChars,
        Duration chatRoomLinger,
        int chatMaxRooms,
        double rateLimitPerSecond,
        int rateLimitBurst,
        int rateLimitStrikes,
        int quotesTicksPerSecond,
        long quotesSeed,
        List<String> allowedOrigins,
        int maxConnectionsPerAddress,
        long memoryPerAddress,
        long memoryTotal,
        int chatMaxRoomsPerAddress,
        double rateLimitPerAddress,
        Duration blockingSendTimeout,
        TrustedProxies trustedProxies,
        String publicOrigin,
        Secret opsToken,
        String opsRole,
        int maxSendsInFlight,
        Duration chatPresenceTick,
        int chatMembersPage,
        boolean permessageDeflate, boolean groupedWrites,
        String liveNamespaces,
        int liveMaxChannelsPerConnection,
        int liveMaxPublicationBytes,
        double livePublishesPerSecond,
        int liveMaxChannels,
        Duration liveChannelLinger,
        long liveHistoryMemory,
        Secret apiKeys,
        Duration apiIdempotencyWindow,
        double apiRequestsPerSecond) {

    public static final String ALLOWED_ORIGINS = "duplex.allowed-origins";
    public static final String TRUSTED_PROXIES = "duplex.trusted-proxies";
    public static final String PUBLIC_ORIGIN = "duplex.public-origin";
    public static final String OPS_TOKEN = "duplex.ops.token";
    public static final String PERMESSAGE_DEFLATE = "duplex.permessage-deflate";
    public static final String API_KEYS = "duplex.api.keys";
    /** A shorter token is guessable; refused at start. */
    static final int OPS_TOKEN_MIN_CHARS = 16;

    public Settings {
        allowedOrigins = List.copyOf(allowedOrigins);
        if (!redisUrl.isEmpty() && !redisUrl.matches("(?i)rediss?://.+")) {
            throw new IllegalArgumentException("Invalid value '" + redisUrl + "' for duplex.redis-url (environment "
                    + Config.environmentName("duplex.redis-url") + "): expected redis://host:port or rediss://host:port");
        }
        if (clusterNodeTimeout.compareTo(clusterHeartbeat.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("duplex.cluster.node-timeout (" + clusterNodeTimeout
                    + ") must be at least twice duplex.cluster.heartbeat (" + clusterHeartbeat + ")");
        }
        if (memoryTotal < memoryPerAddress) {
            throw new IllegalArgumentException("duplex.memory.total (" + memoryTotal
                    + ") must be at least duplex.memory.per-address (" + memoryPerAddress + ")");
        }
    }

    /** The origin policy these settings describe. */
    public OriginPolicy originPolicy() {
        return OriginPolicy.of(allowedOrigins).withPublicOrigin(publicOrigin);
    }

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
                config.duration("duplex.stats.interval", Duration.ofSeconds(1), Duration.ofMillis(100), Duration.ofMinutes(1)),
                config.string("duplex.redis-url", ""),
                config.duration("duplex.redis.timeout", Duration.ofSeconds(2), Duration.ofMillis(100), Duration.ofMinutes(1)),
                config.duration("duplex.cluster.heartbeat", Duration.ofSeconds(1), Duration.ofMillis(50), Duration.ofMinutes(1)),
                config.duration("duplex.cluster.node-timeout", Duration.ofSeconds(5), Duration.ofMillis(100), Duration.ofMinutes(10)),
                config.integer("duplex.chat.history", 50, 0, 10_000),
                config.integer("duplex.chat.max-frame-chars", 32_768, 4096, 16 * 1024 * 1024),
                config.duration("duplex.chat.room-linger", Duration.ofMinutes(10), Duration.ZERO, Duration.ofDays(7)),
                config.integer("duplex.chat.max-rooms", 10_000, 1, 10_000_000),
                config.decimal("duplex.rate-limit.per-second", 20, 0.01, 1_000_000),
                config.integer("duplex.rate-limit.burst", 40, 1, 1_000_000),
                config.integer("duplex.rate-limit.strikes", 40, 1, 1_000_000),
                config.integer("duplex.quotes.ticks-per-second", 10, 1, 1000),
                config.longValue("duplex.quotes.seed", 42, Long.MIN_VALUE, Long.MAX_VALUE),
                allowedOrigins(config),
                config.integer("duplex.max-connections-per-address", 100, 1, 1_000_000),
                config.longValue("duplex.memory.per-address", 16L << 20, 1L << 16, 1L << 40),
                config.longValue("duplex.memory.total", 128L << 20, 1L << 16, 1L << 40),
                config.integer("duplex.chat.max-rooms-per-address", 1000, 1, 10_000_000),
                config.decimal("duplex.rate-limit.per-address", 1000, 0.01, 10_000_000),
                config.duration("duplex.blocking-send-timeout", Duration.ofSeconds(1), Duration.ofMillis(50), Duration.ofMinutes(5)),
                trustedProxies(config),
                publicOrigin(config),
                opsToken(config),
                config.string("duplex.ops.role", ""),
                config.integer("duplex.max-sends-in-flight", 32, 1, 1_000_000),
                config.duration("duplex.chat.presence-tick", Duration.ofMillis(100), Duration.ZERO, Duration.ofSeconds(10)),
                config.integer("duplex.chat.members-page", 1000, 1, 100_000),
                config.onOff(PERMESSAGE_DEFLATE, false),
                config.onOff("duplex.grouped-writes", true),
                config.string("duplex.live.namespaces", ""),
                config.integer("duplex.live.max-channels-per-connection", 100, 1, 100_000),
                config.integer("duplex.live.max-publication-bytes", 16_384, 16, 16 * 1024 * 1024),
                config.decimal("duplex.live.publishes-per-second", 5, 0.01, 1_000_000),
                config.integer("duplex.live.max-channels", 10_000, 1, 10_000_000),
                config.duration("duplex.live.channel-linger", Duration.ofSeconds(30), Duration.ZERO, Duration.ofDays(7)),
                config.longValue("duplex.live.history-memory", 32L << 20, 1L << 16, 1L << 40),
                apiKeys(config),
                config.duration("duplex.api.idempotency-window", Duration.ofMinutes(5), Duration.ZERO, Duration.ofDays(1)),
                config.decimal("duplex.api.requests-per-second", 1000, 0.01, 10_000_000));
    }

    private static TrustedProxies trustedProxies(Config config) {
        String raw = config.string(TRUSTED_PROXIES, "");
        try {
            return TrustedProxies.parse(raw);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid value '" + raw + "' for " + TRUSTED_PROXIES
                    + " (environment " + Config.environmentName(TRUSTED_PROXIES) + "): " + e.getMessage(), e);
        }
    }

    private static String publicOrigin(Config config) {
        String raw = config.string(PUBLIC_ORIGIN, "");
        try {
            OriginPolicy.sameOriginOnly().withPublicOrigin(raw);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid value '" + raw + "' for " + PUBLIC_ORIGIN
                    + " (environment " + Config.environmentName(PUBLIC_ORIGIN) + "): " + e.getMessage(), e);
        }
        return raw;
    }

    private static Secret opsToken(Config config) {
        Secret token = new Secret(config.string(OPS_TOKEN, ""));
        if (token.isSet() && token.value().length() < OPS_TOKEN_MIN_CHARS) {
            // The value itself stays out of the message: it is a secret, even a bad one.
            throw new IllegalArgumentException("Invalid value for " + OPS_TOKEN + " (environment "
                    + Config.environmentName(OPS_TOKEN) + "): expected at least " + OPS_TOKEN_MIN_CHARS + " characters");
        }
        return token;
    }

    private static Secret apiKeys(Config config) {
        Secret keys = new Secret(config.string(API_KEYS, ""));
        try {
            duplex.api.ApiKeys.parse(keys);
        } catch (IllegalArgumentException e) {
            // The message names the offending key, never a secret.
            throw new IllegalArgumentException("Invalid value for " + API_KEYS + " (environment "
                    + Config.environmentName(API_KEYS) + "): " + e.getMessage(), e);
        }
        return keys;
    }

    /** The limits of a /live connection. */
    public duplex.live.LiveEndpoint.Limits liveLimits() {
        return new duplex.live.LiveEndpoint.Limits(liveMaxChannelsPerConnection, liveMaxPublicationBytes,
                new RateLimiter.Policy(livePublishesPerSecond, (int) Math.max(1, Math.min(1_000_000, 2 * livePublishesPerSecond)),
                        rateLimitStrikes));
    }

    /** The per-session limit on client messages, for every endpoint that takes them. */
    public RateLimiter.Policy rateLimit() {
        return new RateLimiter.Policy(rateLimitPerSecond, rateLimitBurst, rateLimitStrikes);
    }

    /** The limit shared by every connection of one client address: a burst of two seconds' worth. */
    public RateLimiter.Policy addressRateLimit() {
        return new RateLimiter.Policy(rateLimitPerAddress, (int) Math.max(1, Math.min(Integer.MAX_VALUE, 2 * rateLimitPerAddress)),
                rateLimitStrikes);
    }

    private static List<String> allowedOrigins(Config config) {
        String raw = config.string(ALLOWED_ORIGINS, "");
        List<String> entries = OriginPolicy.split(raw);
        try {
            OriginPolicy.of(entries);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid value '" + raw + "' for " + ALLOWED_ORIGINS
                    + " (environment " + Config.environmentName(ALLOWED_ORIGINS) + "): " + e.getMessage(), e);
        }
        return entries;
    }

    public static Settings defaults() {
        return load(Config.of(Map.of()));
    }
}
