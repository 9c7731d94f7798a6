package duplex.bus;

/**
 * A message the bus accepted: its room-wide sequence number and the body the room gave it
 * (opaque to the bus; the chat room encodes and decodes it).
 */
public record Posted(long seq, String body) {
}
