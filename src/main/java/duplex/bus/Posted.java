package duplex.bus;

import java.time.Instant;

/** A {@link Post} the bus accepted, with its room-wide sequence number. */
public record Posted(long seq, Member author, String body, Instant at) {

    Posted(long seq, Post post) {
        this(seq, post.author(), post.body(), post.at());
    }
}
