package duplex.chat;

import duplex.delivery.Outbox;

/**
 * One connection in a room: its identity, its current name, and the outbox that carries
 * everything sent to it. The name changes only under the room's lock; it is volatile so that
 * the connection's own thread reads the latest.
 */
public final class Participant {

    private final String id;
    private final Outbox outbox;
    private volatile String name;
    private final boolean verified;

    public Participant(String id, String name, Outbox outbox) {
        this(id, name, outbox, false);
    }

    /**
     * @param verified the name is the user's login, authenticated by the container: shown as
     *                 {@code "verified":true} and not renamable
     */
    public Participant(String id, String name, Outbox outbox, boolean verified) {
        this.id = id;
        this.name = name;
        this.outbox = outbox;
        this.verified = verified;
    }

    public boolean verified() {
        return verified;
    }

    public String id() {
        return id;
    }

    public String name() {
        return name;
    }

    void rename(String newName) {
        this.name = newName;
    }

    public Outbox outbox() {
        return outbox;
    }

    public Member member() {
        return new Member(id, name, verified);
    }
}
