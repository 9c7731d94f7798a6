package duplex.bus;

import java.util.List;

/**
 * A room as the cluster had it when this node linked to it: the first thing its
 * {@link RoomListener} hears, before any change.
 *
 * @param members every node's members, in the order they joined
 * @param history the most recent messages (at most the history size asked for), oldest first
 * @param lastSeq the seq of the last message given out (0 when none)
 * @param epoch   names this run of the room's sequence: a room whose sequence starts again at 1
 *                (no node kept it, and neither did Redis) gets a new one, so a client that
 *                remembers a seq can tell "nothing missed" from "a new stream"
 */
public record RoomSnapshot(List<Member> members, List<Posted> history, long lastSeq, String epoch) {

    public RoomSnapshot {
        members = List.copyOf(members);
        history = List.copyOf(history);
    }

    private static final java.util.regex.Pattern EPOCH = java.util.regex.Pattern.compile("[0-9a-zA-Z_-]{1,32}");

    /**
     * Whether a client's text can be an epoch: what {@link #newEpoch} writes, with room for other
     * forms. The one rule for every endpoint that takes an epoch back (/chat, /live).
     */
    public static boolean isEpoch(String text) {
        return text != null && EPOCH.matcher(text).matches();
    }

    /** A new epoch: eight random hex digits, different from the last one with odds of four billion to one. */
    static String newEpoch() {
        return String.format("%08x", java.util.concurrent.ThreadLocalRandom.current().nextInt());
    }
}
