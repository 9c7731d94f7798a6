package duplex.live;

/** A publication the bus accepted: its place in the channel's sequence. */
public record Published(long seq, String epoch) {
}
