package duplex.guard;

import java.util.Locale;

/**
 * Chat rooms whose names start with {@code staff-} are for users in the role {@code staff}.
 *
 * <p>Why not a {@code security-constraint} URL pattern: a servlet url-pattern is an exact path,
 * a prefix ending in {@code /*} or an extension, so "{@code /chat/staff-*}" cannot be written.
 * The rule is applied to the handshake instead, with the container's own login
 * ({@code login-config} in {@code web.xml}) through {@code HttpServletRequest.authenticate}; see
 * {@link HandshakeGuard}. Case-insensitive, so {@code Staff-ops} is protected too.
 */
public final class StaffRooms {

    public static final String ROLE = "staff";
    public static final String PREFIX = "staff-";
    private static final String CHAT = "/chat/";

    private StaffRooms() {
    }

    public static boolean isStaffRoom(String room) {
        return room != null && room.toLowerCase(Locale.ROOT).startsWith(PREFIX);
    }

    /**
     * Whether a decoded request path (with or without the context path) addresses a staff room
     * of the chat endpoint, {@code .../chat/{room}}.
     */
    public static boolean isStaffRoomPath(String path) {
        if (path == null) {
            return false;
        }
        int chat = path.lastIndexOf(CHAT);
        if (chat < 0) {
            return false;
        }
        String room = path.substring(chat + CHAT.length());
        int end = room.indexOf(';');
        if (end >= 0) {
            room = room.substring(0, end);
        }
        return !room.contains("/") && isStaffRoom(room);
    }
}
