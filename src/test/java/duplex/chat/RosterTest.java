package duplex.chat;

import duplex.bus.Member;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RosterTest {

    private static List<String> ids(Roster.Page page) {
        return page.entries().stream().map(e -> e.member().id()).toList();
    }

    @Test
    void pagesFollowJoinOrderAndSayWhetherTheyAreTheLast() {
        Roster roster = new Roster();
        for (String id : List.of("m1", "m2", "m3", "m4", "m5")) {
            roster.add(new Member(id, "name " + id));
        }
        Roster.Page first = roster.after(0, 2);
        assertEquals(List.of("m1", "m2"), ids(first));
        assertFalse(first.complete());
        Roster.Page second = roster.after(first.last(), 2);
        assertEquals(List.of("m3", "m4"), ids(second));
        Roster.Page third = roster.after(second.last(), 2);
        assertEquals(List.of("m5"), ids(third));
        assertTrue(third.complete());
        Roster.Page exact = roster.after(second.last(), 1);
        assertEquals(List.of("m5"), ids(exact));
        assertTrue(exact.complete(), "a full page that holds the last member is the last: no empty page after it");
        Roster.Page beyond = roster.after(exact.last(), 1);
        assertEquals(List.of(), ids(beyond));
        assertTrue(beyond.complete());
    }

    @Test
    void aRenamedMemberKeepsItsPlaceAndItsNewJson() {
        Roster roster = new Roster();
        roster.add(new Member("a", "Alice"));
        roster.add(new Member("b", "Bob"));
        roster.add(new Member("a", "Alicia"));
        assertEquals(List.of("a", "b"), ids(roster.after(0, 10)));
        assertEquals("{\"id\":\"a\",\"name\":\"Alicia\"}", roster.after(0, 10).entries().get(0).json());
        assertEquals(2, roster.size());
    }

    /**
     * Whatever joins and leaves between pages, a client that applies the pages and then the
     * changes (as presence messages bring them, in the same order on its connection) ends with
     * exactly the room's members.
     */
    @Test
    void pagesAndTheChangesBetweenThemAddUpToTheRoom() {
        Random random = new Random(7);
        for (int round = 0; round < 200; round++) {
            Roster roster = new Roster();
            Map<String, Member> room = new LinkedHashMap<>();
            int next = 0;
            for (int i = 0; i < random.nextInt(40); i++) {
                Member m = new Member("m" + next++, "n");
                roster.add(m);
                room.put(m.id(), m);
            }
            Map<String, Member> client = new LinkedHashMap<>();
            int pageSize = 1 + random.nextInt(6);
            Roster.Page page = roster.after(0, pageSize);
            while (true) {
                page.entries().forEach(e -> client.put(e.member().id(), e.member()));
                // Changes between two pages: each one reaches the client as presence after this page.
                for (int change = random.nextInt(4); change > 0; change--) {
                    if (random.nextBoolean() || room.isEmpty()) {
                        Member m = new Member("m" + next++, "n");
                        roster.add(m);
                        room.put(m.id(), m);
                        client.put(m.id(), m);
                    } else {
                        String gone = new ArrayList<>(room.keySet()).get(random.nextInt(room.size()));
                        roster.remove(gone);
                        room.remove(gone);
                        client.remove(gone);
                    }
                }
                if (page.complete()) {
                    break;
                }
                page = roster.after(page.last(), pageSize);
            }
            assertEquals(room.keySet(), client.keySet(), "round " + round);
            assertEquals(room.size(), roster.size());
        }
    }
}
