package duplex.chat;

import duplex.bus.Member;
import duplex.delivery.Outbox;

/**
 * One connection in a room: who it is ({@link Member}: the server-given id, the current name,
 * whether the name is a login) and the outbox that carries everything sent to it. The name
 * changes only under the room's lock; the member is volatile so that the connection's own thread
 * reads the latest.
 */
public final class Participant {

    private final Outbox outbox;
    private volatile Member member;

    /**
     * @param verified the name is the user's login, authenticated by the container: shown as
     *                 {@code "verified":true} and not renamable
     */
    public Participant(String id, String name, Outbox outbox, boolean verified) {
        this.member = new Member(id, name, verified);
        this.outbox = outbox;
    }

    public boolean verified() {
        return member.verified();
    }

    public String id() {
        return member.id();
    }

    public String name() {
        return member.name();
    }

    void rename(String newName) {
        Member before = member;
        member = new Member(before.id(), newName, before.verified());
    }

    public Outbox outbox() {
        return outbox;
    }

    public Member member() {
        return member;
    }
}
