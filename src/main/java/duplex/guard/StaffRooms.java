package duplex.guard;

import jakarta.servlet.http.HttpServletRequest;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Chat rooms whose names start with {@code staff-} are for users in the role {@code staff}.
 *
 * <p>Why not a {@code security-constraint} URL pattern: a servlet url-pattern is an exact path,
 * a prefix ending in {@code /*} or an extension, so "{@code /chat/staff-*}" cannot be written.
 * The rule is applied to the handshake instead, with the container's own login
 * ({@code login-config} in {@code web.xml}) through {@code HttpServletRequest.authenticate}; see
 * {@link HandshakeGuard}. Case-insensitive, so {@code Staff-ops} is protected too.
 *
 * <p>Applied twice. Before the upgrade, on the path, read every way a container may read it
 * ({@link RequestPath}): a request is for a staff room when a {@code chat} segment is followed,
 * anywhere later, by a segment that starts with {@code staff-} (with or without its path
 * parameters). That is a superset of what {@code /chat/{room}} maps on Tomcat (trailing slash,
 * {@code //}, {@code ;x=1}, {@code .} and {@code ..}, encoded characters) and on Tyrus; a path it
 * names that no container maps only costs a login before the 404. Then in the endpoint, on the
 * room the container actually matched: the handshake records whether the user is in the role
 * ({@link #GRANTED}), and {@code ChatEndpoint} refuses a staff room without it (1008).
 */
public final class StaffRooms {

    public static final String ROLE = "staff";
    public static final String PREFIX = "staff-";
    /** User property: Boolean.TRUE when the handshake's user is in {@link #ROLE}. Set by the configurator only. */
    public static final String GRANTED = "duplex.staff";
    private static final String CHAT = "chat";

    private StaffRooms() {
    }

    public static boolean isStaffRoom(String room) {
        return room != null && room.toLowerCase(Locale.ROOT).startsWith(PREFIX);
    }

    /** Whether the handshake that opened a session found its user in the role (see {@link #GRANTED}). */
    public static boolean granted(Map<String, Object> userProperties) {
        return Boolean.TRUE.equals(userProperties.get(GRANTED));
    }

    /** Whether any reading of the request's path may address a staff room. */
    public static boolean mayAddressStaffRoom(HttpServletRequest request) {
        String mapped = (request.getServletPath() == null ? "" : request.getServletPath())
                + (request.getPathInfo() == null ? "" : request.getPathInfo());
        return RequestPath.readings(request).stream().anyMatch(StaffRooms::namesStaffRoom)
                || isStaffRoomPath(mapped) || isStaffRoomPath(request.getRequestURI());
    }

    /**
     * Whether a request path (raw or decoded, with or without the context path) may address a
     * staff room of the chat endpoint.
     */
    public static boolean isStaffRoomPath(String path) {
        // With ".." resolved and without: removing segments never puts "chat" after a room, so
        // the reading that keeps them all is the widest, and the resolved one is what Tomcat maps.
        return path != null && (namesStaffRoom(RequestPath.segments(path, true)) || namesStaffRoom(RequestPath.segments(path, false)));
    }

    private static boolean namesStaffRoom(List<String> segments) {
        boolean afterChat = false;
        for (String segment : segments) {
            if (afterChat && (isStaffRoom(segment) || isStaffRoom(RequestPath.withoutParameters(segment)))) {
                return true;
            }
            afterChat |= RequestPath.withoutParameters(segment).equalsIgnoreCase(CHAT);
        }
        return false;
    }
}
