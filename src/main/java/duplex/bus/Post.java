package duplex.bus;

import java.time.Instant;

/**
 * What a room's member offers the room: who, what, when. The bus gives it its seq and carries
 * it as it is; the body is the room's business (a chat message's text; later a channel's data).
 */
public record Post(Member author, String body, Instant at) {
}
