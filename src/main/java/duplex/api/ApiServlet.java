package duplex.api;

import duplex.bus.BusUnavailableException;
import duplex.bus.Member;
import duplex.chat.Names;
import duplex.chat.Rooms;
import duplex.connection.Connections;
import duplex.guard.RateLimiter;
import duplex.live.ChannelName;
import duplex.live.Channels;
import duplex.live.Namespace;
import duplex.live.Namespaces;
import duplex.live.Published;
import duplex.protocol.JsonText;
import duplex.protocol.Jsons;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.websocket.CloseReason;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code /api/*}: how a backend pushes to browsers. JSON in, JSON out; {@code Authorization:
 * Bearer <secret>} against {@link ApiKeys}. Requests that wait for the bus (a publication, a
 * channel's history) are asynchronous, so no container thread waits on Redis. Errors are
 * {@code {"error":{"code":..,"message":..}}} with the status that says what went wrong; a
 * refused request changed nothing. The reference: docs/live.md, "The HTTP API".
 */
public final class ApiServlet extends HttpServlet {

    private static final System.Logger LOG = System.getLogger(ApiServlet.class.getName());
    private static final int MAX_BROADCAST = 100;
    private static final int MAX_HISTORY_PAGE = 1000;

    /** What the API needs from the rest of the application. */
    public record Parts(ApiKeys keys, Channels channels, Rooms rooms, Connections connections, Idempotency<Object> idempotency,
                        RateLimiter.Policy perKey, int maxPublicationBytes, Duration timeout) {
    }

    private final Parts parts;
    private final Map<String, RateLimiter> rates = new ConcurrentHashMap<>();

    public ApiServlet(Parts parts) {
        this.parts = parts;
    }

    /** A refusal: the status and the error body. */
    private static final class Refused extends RuntimeException {
        final int status;
        final String code;

        Refused(int status, String code, String message) {
            super(message, null, false, false);
            this.status = status;
            this.code = code;
        }
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (parts.keys().isEmpty()) {
            fail(response, new Refused(404, "not_found", "the API is off: no key is configured (duplex.api.keys)"));
            return;
        }
        try {
            String key = authenticate(request);
            if (rates.computeIfAbsent(key, k -> new RateLimiter(parts.perKey())).acquire() != RateLimiter.Verdict.ALLOWED) {
                response.setHeader("Retry-After", "1");
                throw new Refused(429, "rate_limited", "at most " + parts.perKey().perSecond() + " requests per second per key");
            }
            route(request, response, key);
        } catch (Refused refused) {
            fail(response, refused);
        }
    }

    private void route(HttpServletRequest request, HttpServletResponse response, String key) throws IOException {
        String path = request.getPathInfo() == null ? "/" : request.getPathInfo();
        String method = request.getMethod();
        List<String> segments = List.of(path.substring(1).split("/", -1));
        switch (segments.get(0)) {
            case "publish" -> only("POST", method, segments, 1, response, () -> publish(request, response, key));
            case "broadcast" -> only("POST", method, segments, 1, response, () -> broadcast(request, response, key));
            case "disconnect" -> only("POST", method, segments, 1, response, () -> disconnect(request, response));
            case "channels" -> {
                if (segments.size() == 1) {
                    only("GET", method, segments, 1, response, () -> channels(response));
                } else if (segments.size() == 3 && segments.get(2).equals("history")) {
                    only("GET", method, segments, 3, response, () -> history(request, response, key, channel(segments.get(1))));
                } else if (segments.size() == 3 && segments.get(2).equals("presence")) {
                    only("GET", method, segments, 3, response, () -> presence(request, response, key, channel(segments.get(1))));
                } else {
                    throw notFound(path);
                }
            }
            default -> throw notFound(path);
        }
    }

    private interface Action {
        void run() throws IOException;
    }

    private static void only(String allowed, String method, List<String> segments, int size, HttpServletResponse response, Action action)
            throws IOException {
        if (segments.size() != size) {
            throw notFound("/" + String.join("/", segments));
        }
        if (!allowed.equals(method)) {
            response.setHeader("Allow", allowed);
            throw new Refused(405, "invalid", method + " is not allowed here; use " + allowed);
        }
        action.run();
    }

    private static Refused notFound(String path) {
        return new Refused(404, "not_found", "no API at " + shorten(path) + "; see docs/live.md");
    }

    /** The key's name, or 401. */
    private String authenticate(HttpServletRequest request) {
        String header = request.getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw unauthorized("send Authorization: Bearer <api key>");
        }
        return parts.keys().nameOf(header.substring(7).strip()).orElseThrow(() -> unauthorized("the API key is not known"));
    }

    private static Refused unauthorized(String message) {
        return new Refused(401, "unauthorized", message);
    }

    // POST /api/publish {"channel":"news","data":{...},"idempotencyKey":"..."}
    private void publish(HttpServletRequest request, HttpServletResponse response, String key) throws IOException {
        JsonObject body = body(request);
        ChannelName name = channel(string(body, "channel").orElseThrow(() -> invalid("publish needs \"channel\"")));
        String data = data(body);
        allowed(name, key);
        if (name.namespace().equals(CHAT)) {
            chatText(data);
        }
        Optional<String> idempotency = idempotencyKey(body);
        respond(request, response, parts.idempotency().once(idempotency.map(k -> key + "\n" + k).orElse(null),
                () -> publish(name, key, data)), result -> published((Published) result).build());
    }

    // POST /api/broadcast {"channels":["a","b"],"data":{...},"idempotencyKey":"..."}
    private void broadcast(HttpServletRequest request, HttpServletResponse response, String key) throws IOException {
        JsonObject body = body(request);
        if (!(body.get("channels") instanceof JsonArray array) || array.isEmpty() || array.size() > MAX_BROADCAST) {
            throw invalid("broadcast needs \"channels\": an array of 1 to " + MAX_BROADCAST + " channel names");
        }
        List<ChannelName> names = new ArrayList<>();
        for (JsonValue value : array) {
            ChannelName name = channel(value instanceof JsonString s ? s.getString() : null);
            if (names.contains(name)) {
                throw invalid("channel " + name + " is named twice");
            }
            names.add(name);
        }
        String data = data(body);
        names.forEach(name -> allowed(name, key)); // every one, before anything is published
        if (names.stream().anyMatch(n -> n.namespace().equals(CHAT))) {
            chatText(data);
        }
        Optional<String> idempotency = idempotencyKey(body);
        respond(request, response, parts.idempotency().once(idempotency.map(k -> key + "\nbroadcast\n" + k).orElse(null), () -> {
            List<CompletableFuture<Object>> each = new ArrayList<>();
            for (ChannelName name : names) {
                each.add(publish(name, key, data).exceptionally(failure -> failure(failure)));
            }
            return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenApply(done -> {
                JsonArrayBuilder results = Jsons.createArrayBuilder();
                for (int i = 0; i < names.size(); i++) {
                    Object result = each.get(i).join();
                    var entry = result instanceof Published p ? published(p) : Jsons.createObjectBuilder().add("error", (JsonObject) result);
                    results.add(entry.add("channel", names.get(i).name()));
                }
                return (Object) Jsons.createObjectBuilder().add("results", results).build();
            });
        }), result -> (JsonObject) result);
    }

    /**
     * A publication into a channel, or, in the {@value #CHAT} namespace, a message into that chat
     * room ({@code data} is {@code {"text":"..."}}): its members see a {@code message} from the key
     * ({@code from.id} is {@code api:<key name>}, {@code verified} true). Data already checked.
     */
    private CompletableFuture<Object> publish(ChannelName name, String key, String data) {
        if (name.namespace().equals(CHAT)) {
            return parts.rooms().post(room(name), author(key), chatText(data)).thenApply(seq -> (Object) new Published(seq, null));
        }
        return parts.channels().publish(name, author(key), data).thenApply(p -> (Object) p);
    }

    /** The namespace whose channels are the chat rooms: {@code chat:lobby} is the room {@code lobby}. */
    static final String CHAT = Namespaces.CHAT;

    private static String room(ChannelName name) {
        String room = name.name().substring(CHAT.length() + 1);
        if (!Names.isValidRoom(room)) {
            throw invalid("chat:<room> names a chat room: 1 to " + Names.MAX_ROOM + " of A-Z a-z 0-9 _ -");
        }
        return room;
    }

    /** The text of a message into a chat room: {@code {"text":"..."}} under the chat's own rules. */
    private static String chatText(String data) {
        JsonText.Parsed parsed = JsonText.parseObject(data);
        if (!(parsed instanceof JsonText.Valid valid) || !(valid.object().get("text") instanceof JsonString text)) {
            throw invalid("a message into a chat room is {\"text\": \"...\"}");
        }
        Names.textProblem(text.getString()).ifPresent(problem -> {
            throw invalid(problem);
        });
        return text.getString();
    }

    /** One channel's failure inside a broadcast, as the error object its result carries. */
    private static JsonObject failure(Throwable failure) {
        Refused refused = refusal(failure);
        return Jsons.createObjectBuilder().add("code", refused.code).add("message", refused.getMessage()).build();
    }

    // GET /api/channels
    private void channels(HttpServletResponse response) throws IOException {
        JsonArrayBuilder list = Jsons.createArrayBuilder();
        for (Channels.Info info : parts.channels().active()) {
            list.add(Jsons.createObjectBuilder().add("channel", info.channel()).add("subscribers", info.subscribers())
                    .add("seq", info.seq()).add("epoch", info.epoch()));
        }
        write(response, 200, Jsons.createObjectBuilder().add("channels", list).build());
    }

    // GET /api/channels/{channel}/history?since=&limit=
    private void history(HttpServletRequest request, HttpServletResponse response, String key, ChannelName name) throws IOException {
        long since = number(request, "since", 0, Long.MAX_VALUE, 0);
        int limit = (int) number(request, "limit", 1, MAX_HISTORY_PAGE, 100);
        allowed(name, key);
        respond(request, response, parts.channels().history(name, since, limit).thenApply(h -> (Object) h), result -> {
            Channels.History h = (Channels.History) result;
            StringBuilder publications = new StringBuilder("[");
            for (int i = 0; i < h.publications().size(); i++) {
                publications.append(i == 0 ? "" : ",").append(h.publications().get(i));
            }
            try (var reader = Jsons.createReader(new java.io.StringReader(publications.append(']').toString()))) {
                return Jsons.createObjectBuilder().add("channel", h.channel()).add("epoch", h.epoch()).add("seq", h.seq())
                        .add("publications", reader.readArray()).build();
            }
        });
    }

    // GET /api/channels/{channel}/presence
    private void presence(HttpServletRequest request, HttpServletResponse response, String key, ChannelName name) throws IOException {
        Namespace policy = allowed(name, key);
        if (!policy.presence()) {
            throw new Refused(404, "not_found", "namespace " + name.namespace() + " keeps no presence");
        }
        respond(request, response, parts.channels().presence(name).thenApply(m -> (Object) m), result -> {
            JsonArrayBuilder members = Jsons.createArrayBuilder();
            for (Object o : (List<?>) result) {
                Member m = (Member) o;
                var entry = Jsons.createObjectBuilder().add("id", m.id());
                if (m.verified()) {
                    entry.add("user", m.name());
                }
                members.add(entry);
            }
            return Jsons.createObjectBuilder().add("channel", name.name()).add("members", members).build();
        });
    }

    // POST /api/disconnect {"connection":"..."}
    private void disconnect(HttpServletRequest request, HttpServletResponse response) throws IOException {
        JsonObject body = body(request);
        String id = string(body, "connection").orElseThrow(() -> invalid("disconnect needs \"connection\": a connection's id"));
        var outbox = parts.connections().find(id).filter(o -> o.isOpen())
                .orElseThrow(() -> new Refused(404, "not_found", "no open connection " + shorten(id) + " on this node"));
        outbox.close(new CloseReason(CloseReason.CloseCodes.VIOLATED_POLICY, "disconnected by the application"));
        write(response, 200, Jsons.createObjectBuilder().add("disconnected", id).build());
    }

    /**
     * The namespace's policy if the key may use the channel; else 404 or 403. Every key may post
     * into chat rooms ({@value #CHAT}), whose rules are the chat's: checked here, before anything is published.
     */
    private Namespace allowed(ChannelName name, String key) {
        if (name.namespace().equals(CHAT)) {
            room(name);
            return CHAT_POLICY;
        }
        Namespace policy = parts.channels().namespace(name)
                .orElseThrow(() -> new Refused(404, "not_found", "there is no namespace " + name.namespace()));
        if (!policy.allowsKey(key)) {
            throw new Refused(403, "forbidden", "key " + key + " may not use namespace " + name.namespace());
        }
        return policy;
    }

    private static final Namespace CHAT_POLICY = new Namespace(CHAT, true, 0, Duration.ofSeconds(1), true, false, false, java.util.Set.of());

    private static Member author(String key) {
        return new Member("api:" + key, key, true);
    }

    private static JsonObject body(HttpServletRequest request, int max) throws IOException {
        if (request.getContentLengthLong() > max) {
            throw tooBig(max);
        }
        byte[] bytes;
        try (InputStream in = request.getInputStream()) {
            bytes = in.readNBytes(max + 1);
        }
        if (bytes.length > max) {
            throw tooBig(max);
        }
        JsonText.Parsed parsed = JsonText.parseObject(new String(bytes, StandardCharsets.UTF_8));
        if (parsed instanceof JsonText.Failed failed) {
            throw new Refused(400, "invalid", failed.error().message());
        }
        return ((JsonText.Valid) parsed).object();
    }

    private JsonObject body(HttpServletRequest request) throws IOException {
        return body(request, parts.maxPublicationBytes() * MAX_BROADCAST / 50 + 8192);
    }

    private static Refused tooBig(int max) {
        return new Refused(413, "too_big", "a request body is at most " + max + " bytes");
    }

    private String data(JsonObject body) {
        JsonValue data = body.get("data");
        if (data == null) {
            throw invalid("\"data\" is required: any JSON value");
        }
        String text = data.toString();
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > parts.maxPublicationBytes()) {
            throw new Refused(413, "too_big", "a publication's data is at most " + parts.maxPublicationBytes() + " bytes of JSON, not " + bytes);
        }
        return text;
    }

    private static Optional<String> idempotencyKey(JsonObject body) {
        JsonValue value = body.get("idempotencyKey");
        if (value == null) {
            return Optional.empty();
        }
        if (value instanceof JsonString s && !s.getString().isEmpty() && s.getString().length() <= 128) {
            return Optional.of(s.getString());
        }
        throw invalid("\"idempotencyKey\" is a string of 1 to 128 characters");
    }

    private static ChannelName channel(String raw) {
        return ChannelName.parse(raw).orElseThrow(() -> invalid(ChannelName.RULE));
    }

    private static Optional<String> string(JsonObject body, String field) {
        return JsonText.string(body, field);
    }

    private static long number(HttpServletRequest request, String name, long min, long max, long absent) {
        String raw = request.getParameter(name);
        if (raw == null || raw.isEmpty()) {
            return absent;
        }
        try {
            long value = Long.parseLong(raw);
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw invalid("\"" + name + "\" is a whole number from " + min + " to " + max);
    }

    private static Refused invalid(String message) {
        return new Refused(400, "invalid", message);
    }

    /** {@code {"seq":..,"epoch":..}}; a chat room's message has no epoch (chat recovers by seq alone). */
    private static jakarta.json.JsonObjectBuilder published(Published p) {
        var json = Jsons.createObjectBuilder().add("seq", p.seq());
        return p.epoch() == null ? json : json.add("epoch", p.epoch());
    }

    /** Answers when the future completes, without holding the container's thread meanwhile. */
    private void respond(HttpServletRequest request, HttpServletResponse response, CompletableFuture<Object> result,
                         java.util.function.Function<Object, JsonObject> render) {
        AsyncContext async = request.startAsync();
        async.setTimeout(parts.timeout().toMillis());
        result.whenComplete((value, failure) -> {
            try {
                if (failure == null) {
                    write(response, 200, render.apply(value));
                } else {
                    fail(response, refusal(failure));
                }
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "API answer not written: {0}", e.toString());
            } finally {
                try {
                    async.complete();
                } catch (IllegalStateException e) {
                    // timed out meanwhile: the container answered
                }
            }
        });
    }

    private static Refused refusal(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof Refused refused) {
            return refused;
        }
        if (cause instanceof Channels.RefusedException refused) {
            return switch (refused.why()) {
                case NO_SUCH_NAMESPACE -> new Refused(404, "not_found", "there is no such namespace");
                case TOO_MANY_CHANNELS -> new Refused(503, "unavailable", "this node has as many channels open as it may; try again later");
            };
        }
        if (cause instanceof Rooms.RoomsFullException) {
            return new Refused(503, "unavailable", "no chat room can be opened for this now; try again later");
        }
        if (!(cause instanceof BusUnavailableException)) {
            LOG.log(System.Logger.Level.WARNING, "API request failed: {0}", cause.toString());
        }
        return new Refused(503, "unavailable", "the bus cannot take this now; nothing was published, try again");
    }

    private static void fail(HttpServletResponse response, Refused refused) throws IOException {
        if (refused.status == 401) {
            response.setHeader("WWW-Authenticate", "Bearer realm=\"duplex\"");
        }
        if (refused.status == 503) {
            response.setHeader("Retry-After", "1");
        }
        write(response, refused.status, Jsons.createObjectBuilder()
                .add("error", Jsons.createObjectBuilder().add("code", refused.code).add("message", refused.getMessage())).build());
    }

    private static void write(HttpServletResponse response, int status, JsonObject body) throws IOException {
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }

    private static String shorten(String s) {
        String printable = s.codePoints().limit(60).filter(c -> c >= 0x20 && c < 0x7f)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        return s.length() > 60 ? printable + "..." : printable;
    }
}
