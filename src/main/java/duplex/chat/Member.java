package duplex.chat;

/** A member of a room as others see it: the server-given {@code id} is the identity, names may repeat. */
public record Member(String id, String name, boolean verified) {

    /** A member who chose their own name (not signed in). */
    public Member(String id, String name) {
        this(id, name, false);
    }
}
