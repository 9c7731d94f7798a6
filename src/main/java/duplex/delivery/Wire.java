package duplex.delivery;

import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.SendHandler;
import jakarta.websocket.Session;

/**
 * How an {@link Outbox} puts frames on the socket: the one container-specific seam of delivery.
 *
 * <p>The portable wire sends one frame per {@link RemoteEndpoint.Async} call, as the API has it.
 * Where the container allows it ({@link TomcatWire}), frames already waiting for a connection go
 * out together in one socket write: that is group commit, and it only groups what is waiting, so
 * it adds no latency. {@link #of} picks the best wire the session's container offers and falls
 * back to the portable one.
 *
 * <p>Not thread-safe on its own: its outbox calls {@link #send} with one send in flight at a time.
 */
interface Wire {

    /** The most frames one {@link #send} carries; 1 for the portable wire. */
    int maxFrames();

    /** Whether this frame may share a write with others (a large one goes alone). */
    default boolean joinsGroup(Frame frame) {
        return false;
    }

    /**
     * Starts sending {@code frames[0..count)}, in order, and calls {@code done} exactly once: when
     * all are written, or with the first failure (the rest then are not sent). May call
     * {@code done} on this thread before returning.
     */
    void send(Frame[] frames, int count, SendHandler done);

    /** The wire for this session: grouped writes on Tomcat, the portable wire elsewhere. */
    static Wire of(Session session) {
        RemoteEndpoint.Async remote = session.getAsyncRemote();
        Wire grouped = TomcatWire.of(remote);
        return grouped != null ? grouped : new Portable(remote);
    }

    /** One frame per send, through the API alone: every container. */
    final class Portable implements Wire {
        private final RemoteEndpoint.Async remote;

        Portable(RemoteEndpoint.Async remote) {
            this.remote = remote;
        }

        @Override
        public int maxFrames() {
            return 1;
        }

        @Override
        public void send(Frame[] frames, int count, SendHandler done) {
            sendOne(remote, frames[0], done);
        }

        static void sendOne(RemoteEndpoint.Async remote, Frame frame, SendHandler done) {
            if (frame instanceof Frame.Text text) {
                remote.sendText(text.text(), done);
            } else {
                remote.sendBinary(((Frame.Binary) frame).buffer(), done);
            }
        }
    }
}
