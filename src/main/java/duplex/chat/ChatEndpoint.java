package duplex.chat;

import duplex.app.DuplexConfigurator;
import duplex.app.Settings;
import duplex.bus.RoomSnapshot;
import duplex.connection.Connection;
import duplex.connection.Connections;
import duplex.delivery.Frame;
import duplex.delivery.Outbox;
import duplex.guard.MemoryBudget;
import duplex.guard.StaffRooms;
import duplex.ops.EndpointMetrics;
import duplex.protocol.ErrorCode;
import duplex.protocol.ErrorMessage;
import jakarta.websocket.CloseReason;
import jakarta.websocket.CloseReason.CloseCodes;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnError;
import jakarta.websocket.OnMessage;
import jakarta.websocket.OnOpen;
import jakarta.websocket.PongMessage;
import jakarta.websocket.Session;
import jakarta.websocket.server.PathParam;
import jakarta.websocket.server.ServerEndpoint;

import java.nio.ByteBuffer;
import java.security.Principal;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code /chat/{room}?name=Alice&since=42}: one member of one room. One instance per connection.
 *
 * <p>Client messages arrive whole (decoded by {@link ClientMessageDecoder}), so the container's
 * whole-message buffer is set per session to {@code duplex.chat.max-frame-chars}: Tomcat's default
 * of 8192 characters would be too small for a 2000-character text written with JSON escapes, and
 * a frame past the limit is closed with 1009 (by Tomcat itself, else after the decoder's check).
 * Everything sent goes through the session's {@link Outbox}.
 */
@ServerEndpoint(value = "/chat/{room}",
        decoders = ClientMessageDecoder.class,
        configurator = DuplexConfigurator.class)
public final class ChatEndpoint {

    public static final String NAME = "chat";
    /** Close reasons (1013) of a new room refused by the caps of {@link Rooms}. */
    public static final String TOO_MANY_ROOMS = "too many rooms";
    public static final String TOO_MANY_ROOMS_FROM_ADDRESS = "too many rooms created from your address";
    private static final System.Logger LOG = System.getLogger(ChatEndpoint.class.getName());

    private final Settings settings;
    private final Connections connections;
    private final Rooms rooms;
    private final EndpointMetrics metrics;

    /** Messages a client may send before its welcome; they are handled once the room took the join. */
    private static final int MAX_EARLY_MESSAGES = 16;

    private volatile Connection connection;
    private volatile Participant participant;
    private volatile Room room;
    /** Guards {@link #early} and {@link #closed}, and orders the join's answer before later messages. */
    private final Object turn = new Object();
    /** Non-null while the room has not yet answered the join: the messages that came meanwhile. */
    private volatile List<ClientMessage> early;
    private boolean closed;

    public ChatEndpoint(Settings settings, Connections connections, Rooms rooms, EndpointMetrics metrics) {
        this.metrics = metrics;
        this.settings = settings;
        this.connections = connections;
        this.rooms = rooms;
    }

    @OnOpen
    public void open(Session session, @PathParam("room") String roomName) {
        connection = Connection.open(connections, NAME, session, metrics, settings.rateLimit());
        Outbox outbox = connection.outbox();
        session.setMaxTextMessageBufferSize(settings.chatMaxFrameChars());
        if (!Names.isValidRoom(roomName)) {
            refuse(CloseCodes.VIOLATED_POLICY, "invalid room name");
            return;
        }
        // Again on the room the container matched, whatever the path looked like: the handshake
        // recorded whether the user is in the role (guard.StaffRooms).
        if (StaffRooms.isStaffRoom(roomName) && !StaffRooms.granted(session.getUserProperties())) {
            LOG.log(System.Logger.Level.INFO, "chat session {0} from {1} refused: {2} is a staff room",
                    outbox.id(), outbox.remoteAddress(), roomName);
            refuse(CloseCodes.VIOLATED_POLICY, "staff only");
            return;
        }
        // A user the container authenticated (web.xml login, see guard.HandshakeGuard) is who they
        // say they are: their login is their name, whatever ?name= says, and it is marked verified.
        Principal user = session.getUserPrincipal();
        Optional<String> rawName = parameter(session, "name");
        Optional<String> name = user != null ? Names.nickname(user.getName())
                : rawName.isEmpty() ? Optional.of(Names.guest()) : Names.nickname(rawName.get());
        if (name.isEmpty()) {
            refuse(CloseCodes.VIOLATED_POLICY, "invalid name");
            return;
        }
        OptionalLong since = OptionalLong.empty();
        Optional<String> rawSince = parameter(session, "since");
        if (rawSince.isPresent()) {
            try {
                since = OptionalLong.of(Long.parseLong(rawSince.get()));
            } catch (NumberFormatException e) {
                since = OptionalLong.of(-1);
            }
            if (since.getAsLong() < 0) {
                refuse(CloseCodes.VIOLATED_POLICY, "invalid since");
                return;
            }
        }
        Optional<String> epoch = parameter(session, "epoch");
        if (epoch.isPresent() && !RoomSnapshot.isEpoch(epoch.get())) {
            refuse(CloseCodes.VIOLATED_POLICY, "invalid epoch");
            return;
        }
        Participant joining = new Participant(newId(), name.get(), outbox, user != null);
        synchronized (turn) {
            early = new ArrayList<>();
        }
        // Returns at once: the room takes the join in its turn, and joined() hears how it went.
        rooms.join(roomName, joining, since, epoch.orElse(null), joined -> joined(joining, roomName, joined));
    }

    /**
     * The room's answer to this connection's join, on the rooms' executor (or at once for a
     * refused room). Messages that came before it are handled now, in order, before any later
     * one: until they are, {@link #message} adds to them instead of handling. No lock is held
     * while handling: a send in the room may run another session's close on this thread.
     */
    private void joined(Participant joining, String roomName, Rooms.Joined joined) {
        if (joined instanceof Rooms.Joined.Refused refused) {
            synchronized (turn) {
                early = null; // the connection is closing: what it sent meanwhile goes nowhere
            }
            switch (refused.why()) {
                case ROOMS_FULL -> refuse(CloseCodes.TRY_AGAIN_LATER, TOO_MANY_ROOMS);
                case ADDRESS_ROOMS_FULL -> refuse(CloseCodes.TRY_AGAIN_LATER, TOO_MANY_ROOMS_FROM_ADDRESS);
                case NAME_OF_A_SIGNED_IN_MEMBER -> refuse(CloseCodes.VIOLATED_POLICY, "name taken by a signed-in member");
                // The room lives in Redis (a cluster) and Redis cannot be reached: come back later.
                case BUS_UNAVAILABLE -> refuse(CloseCodes.TRY_AGAIN_LATER, "chat unavailable, try again later");
                case FAILED -> refuse(CloseCodes.UNEXPECTED_CONDITION, "chat failed to take the join, try again");
                case CLOSING -> { } // the welcome itself was refused: the outbox is already closing the session
            }
            return;
        }
        Room in = ((Rooms.Joined.In) joined).room();
        boolean leaveAgain;
        synchronized (turn) {
            leaveAgain = closed; // the connection closed while the room took the join
            if (!leaveAgain) {
                participant = joining;
                room = in;
            }
        }
        if (leaveAgain) {
            rooms.leave(in, joining);
            return;
        }
        LOG.log(System.Logger.Level.DEBUG, "chat session {0} joined {1} as {2} ({3})",
                connection.id(), roomName, joining.name(), joining.id());
        while (true) {
            List<ClientMessage> before;
            synchronized (turn) {
                if (early == null || early.isEmpty()) {
                    early = null; // from now on message() handles at once
                    return;
                }
                before = early;
                early = new ArrayList<>();
            }
            before.forEach(this::handle);
        }
    }

    @OnMessage
    public void message(ClientMessage message) {
        connection.outbox().received(approximateBytes(message));
        // Checked without the lock first: early only ever goes from set to null, once, after the welcome.
        if (early != null) {
            synchronized (turn) {
                if (early != null) {
                    // Before the welcome: kept for joined(), a few at most.
                    if (early.size() < MAX_EARLY_MESSAGES) {
                        early.add(message);
                    } else {
                        reply(new ErrorMessage(ErrorCode.RATE_LIMITED, "too many messages before the welcome; this one was not taken"));
                    }
                    return;
                }
            }
        }
        handle(message);
    }

    private void handle(ClientMessage message) {
        Outbox out = connection.outbox();
        Participant self = participant;
        Room here = room;
        if (self == null || here == null) {
            return; // refused at open and closing
        }
        if (message instanceof ClientMessage.TooBig tooBig) {
            connection.tooBig("message exceeds " + tooBig.limit() + " characters");
            return;
        }
        switch (connection.admit()) {
            case ANSWERED -> {
                return;
            }
            case CLOSING -> {
                // Out of the room now; whatever else arrives while the close goes out is ignored.
                room = null;
                rooms.leave(here, self);
                return;
            }
            case YES -> {
                // handled below
            }
        }
        try {
            if (message instanceof ClientMessage.Say say) {
                // Checked here, charged once the message is in the history (Room.hold).
                MemoryBudget budget = out.budget();
                if (budget != null && !budget.addressHasRoom(out.remoteAddress(), MemoryBudget.ofText(2 * say.text().length() + 160))) {
                    reply(new ErrorMessage(ErrorCode.OVER_BUDGET, "your address holds its whole share of the server's memory "
                            + "(chat history); nothing was sent, try again when older messages have expired"));
                    return;
                }
                here.say(self, say.text()).exceptionally(failure -> {
                    // Not accepted by the cluster bus (Redis down): nobody got it, and the sender is told.
                    reply(new ErrorMessage(ErrorCode.UNAVAILABLE, "the chat cannot take messages right now; "
                            + "nothing was sent, try again"));
                    return null;
                });
            } else if (message instanceof ClientMessage.Rename rename) {
                if (self.verified()) {
                    reply(new ErrorMessage(ErrorCode.INVALID, "a signed-in member keeps the name of their login"));
                } else if (!here.rename(self, rename.name())) {
                    reply(new ErrorMessage(ErrorCode.INVALID, "that name looks like the name of a signed-in member of this room"));
                }
            } else if (message instanceof ClientMessage.Members page) {
                here.members(self, page.after());
            } else if (message instanceof ClientMessage.Rejected rejected) {
                reply(rejected.error());
            }
        } catch (RuntimeException e) {
            // A bug in handling one message must not take the session (or anyone else) down.
            connection.error(e);
        }
    }

    /**
     * Chat speaks JSON text only. Neither Tomcat nor Tyrus closes on a binary message when the
     * endpoint has no handler for it (they drop it), so this handler closes with 1003 at the
     * first part, without buffering the rest.
     */
    @OnMessage
    public void binary(ByteBuffer part, boolean last) {
        connection.textOnly("chat takes JSON text messages only");
    }

    @OnMessage
    public void pong(PongMessage pong) {
        connection.heard();
    }

    @OnClose
    public void close(Session session, CloseReason reason) {
        if (connection == null) {
            return; // refused at open, before it was registered
        }
        connection.closed(reason); // counts and logs the close
        Participant self;
        Room here;
        synchronized (turn) {
            closed = true; // a join still in the room's queue leaves again when it is taken (joined())
            self = participant;
            here = room;
        }
        if (self != null && here != null) {
            rooms.leave(here, self);
        }
        LOG.log(System.Logger.Level.DEBUG, "chat session {0} closed: {1} {2}", session.getId(),
                String.valueOf(reason.getCloseCode().getCode()), reason.getReasonPhrase());
    }

    @OnError
    public void error(Session session, Throwable error) {
        if (connection != null) {
            connection.error(error);
        }
    }

    /**
     * For the traffic counters: the decoder hands over records, not the frame, so this is the
     * content plus its JSON envelope (exact unless the client escaped characters it need not have).
     */
    private static int approximateBytes(ClientMessage message) {
        if (message instanceof ClientMessage.Say say) {
            return Frame.utf8Length(say.text()) + 24;
        }
        if (message instanceof ClientMessage.Rename rename) {
            return Frame.utf8Length(rename.name()) + 26;
        }
        if (message instanceof ClientMessage.Members) {
            return 36;
        }
        if (message instanceof ClientMessage.TooBig tooBig) {
            return tooBig.chars();
        }
        return 0;
    }

    private void reply(ErrorMessage error) {
        connection.reply(error);
    }

    private void refuse(CloseCodes code, String reason) {
        connection.refuse(code, reason);
    }

    /**
     * The first value of a query parameter, decoded as UTF-8 from the raw query string. Not
     * {@code getRequestParameterMap()}: Payara decodes it as ISO-8859-1, which turns a name such as
     * {@code 發} into C1 control characters. A malformed escape reads as an (invalid) value.
     */
    static Optional<String> parameter(Session session, String name) {
        return parameter(session.getQueryString(), name);
    }

    static Optional<String> parameter(String query, String name) {
        if (query == null || query.isEmpty()) {
            return Optional.empty();
        }
        for (String pair : query.split("&")) {
            int equals = pair.indexOf('=');
            String key = equals < 0 ? pair : pair.substring(0, equals);
            String value = equals < 0 ? "" : pair.substring(equals + 1);
            try {
                if (URLDecoder.decode(key, StandardCharsets.UTF_8).equals(name)) {
                    return Optional.of(URLDecoder.decode(value, StandardCharsets.UTF_8));
                }
            } catch (IllegalArgumentException e) {
                if (key.equals(name)) {
                    return Optional.of("\u0000"); // fails every rule: refused as invalid
                }
            }
        }
        return Optional.empty();
    }

    /** Random, so ids say nothing about how many came before; not a secret (everyone in the room sees it). */
    private static String newId() {
        byte[] bytes = new byte[6];
        ThreadLocalRandom.current().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
