package duplex.bus;

/**
 * A room member as the cluster knows it: the server-given id, the display name, and whether the
 * name is a login the container authenticated (so every node shows it {@code "verified"}).
 */
public record Member(String id, String name, boolean verified) {

    /** A member who chose their own name. */
    public Member(String id, String name) {
        this(id, name, false);
    }
}
