package duplex.chat;

import duplex.bus.Member;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A room's members on every node, in the order this node saw them join, each with its JSON
 * written once; the source of welcomes and of member pages. A large room's welcome lists only
 * the first members and a cursor; the client asks for the pages after it.
 *
 * <p>The cursor is a member's place: a number this roster gave it when it joined, which never
 * changes and is never given again. Pages are ranges of places, so a member present from the
 * welcome to the last page is on exactly one page however many join or leave in between; those
 * who do are announced by {@code presence} messages, which go out on the same connection in the
 * same order as the pages. Not thread-safe: guarded by the room's lock.
 */
final class Roster {

    /** One member and its JSON as it appears in every message that names it. */
    record Entry(Member member, String json) {
    }

    /**
     * Members after a cursor, in join order.
     *
     * @param last     the place of the last of them (the cursor of the next page)
     * @param complete nobody joined before the call comes after them
     */
    record Page(List<Entry> entries, long last, boolean complete) {
    }

    private final TreeMap<Long, Entry> byPlace = new TreeMap<>();
    private final Map<String, Long> placeOf = new HashMap<>();
    private long lastPlace;

    /** Adds a member at the end; a member already here keeps its place and takes the new name. */
    void add(Member member) {
        Long place = placeOf.get(member.id());
        if (place == null) {
            place = ++lastPlace;
            placeOf.put(member.id(), place);
        } else if (byPlace.get(place).member().equals(member)) {
            return;
        }
        byPlace.put(place, new Entry(member, ServerMessageEncoder.memberJson(member)));
    }

    void remove(String id) {
        Long place = placeOf.remove(id);
        if (place != null) {
            byPlace.remove(place);
        }
    }

    int size() {
        return byPlace.size();
    }

    /** The members whose name is a login, in join order. */
    List<Member> verified() {
        List<Member> verified = new ArrayList<>();
        for (Entry e : byPlace.values()) {
            if (e.member().verified()) {
                verified.add(e.member());
            }
        }
        return verified;
    }

    /** The JSON of a member on the roster, or written now for one that is not (a newcomer, a departed poster). */
    String json(Member member) {
        Long place = placeOf.get(member.id());
        Entry entry = place == null ? null : byPlace.get(place);
        return entry != null && entry.member().equals(member) ? entry.json() : ServerMessageEncoder.memberJson(member);
    }

    /** At most {@code limit} members whose place is after {@code after} (0: from the first). */
    Page after(long after, int limit) {
        List<Entry> entries = new ArrayList<>(Math.min(limit, byPlace.size()));
        long last = after;
        for (Map.Entry<Long, Entry> e : byPlace.tailMap(after, false).entrySet()) {
            if (entries.size() == limit) {
                return new Page(entries, last, false);
            }
            entries.add(e.getValue());
            last = e.getKey();
        }
        return new Page(entries, last, true);
    }
}
