package duplex.guard;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The path rule is a superset of what Tomcat and Tyrus map to /chat/{room}. */
class StaffRoomsTest {

    @Test
    void everySpellingThatAContainerMapsToAStaffRoomIsOne() {
        for (String path : List.of("/chat/staff-ops", "/duplex/chat/staff-ops", "/chat/staff-ops/", "/chat/staff-ops//",
                "/chat//staff-ops", "/chat/staff-ops;x=1", "/chat;x=1/staff-ops", "/chat/./staff-ops", "/chat/x/../staff-ops",
                "/chat/Staff-Ops", "/chat/%73taff-ops", "/chat%2Fstaff-ops", "/chat%2fstaff-ops/", "/chat/%2573taff-ops",
                "/chat\\staff-ops", "/x/../chat/staff-ops", "/chat/%2e/staff-ops", "/chat/staff-ops%2F", "/chat/lobby/../staff-ops",
                "/chat/staff-ops/..", "/CHAT/staff-ops")) {
            assertTrue(StaffRooms.isStaffRoomPath(path), path);
        }
    }

    @Test
    void otherRoomsAndPathsAreNot() {
        for (String path : List.of("/chat/lobby", "/chat/lobby/", "/chat/stafff", "/echo", "/staff-ops", "/chat/", "/chat",
                "/chat/staff", "/chat/lobby;staff-x")) {
            assertFalse(StaffRooms.isStaffRoomPath(path), path);
        }
        assertFalse(StaffRooms.isStaffRoomPath(null));
    }

    @Test
    void segmentsAreReadAsContainersReadThem() {
        assertEquals(List.of("chat", "staff-ops"), RequestPath.segments("/chat//staff-ops/"));
        assertEquals(List.of("chat", "staff-ops;x=1"), RequestPath.segments("/chat/./staff-ops;x=1"));
        assertEquals(List.of("chat", "staff-ops"), RequestPath.segments("/chat/x/../staff-ops"));
        assertEquals(List.of("chat", "x", "staff-ops"), RequestPath.segments("/chat/x/../staff-ops", false));
        assertEquals(List.of("chat", "發"), RequestPath.segments("/chat/%E7%99%BC"));
        assertEquals(List.of("a%zz"), RequestPath.segments("/a%zz"), "an escape that is not one stays");
        assertEquals("staff-ops", RequestPath.withoutParameters("staff-ops;x=1"));
    }
}
