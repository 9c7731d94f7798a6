package duplex.live;

import duplex.protocol.ErrorMessage;

import java.util.Optional;

/** What a client sends on {@code /live}, decoded by {@link LiveRequestDecoder}. */
public sealed interface LiveRequest {

    /** Where a client left off: the last seq it saw, in the epoch it saw it in. */
    record Since(long seq, String epoch) {
    }

    record Subscribe(ChannelName channel, Optional<Since> since) implements LiveRequest {
    }

    record Unsubscribe(ChannelName channel) implements LiveRequest {
    }

    /**
     * @param data the publication's JSON, as compact text (written once, carried as it is)
     * @param id   the client's id for the {@code ack}, or null
     */
    record Publish(ChannelName channel, String data, String id) implements LiveRequest {
    }

    /** Not a request we can act on; answered with {@code error}, quoting the id and channel it named, if any. */
    record Malformed(ErrorMessage error, String id, String channel) implements LiveRequest {
    }
}
