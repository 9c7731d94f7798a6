package duplex.protocol;

/** The {@code code} of an {@code {"type":"error"}} message; every endpoint uses the same set. */
public enum ErrorCode {
    /** Not JSON, or not a JSON object. */
    BAD_JSON("bad_json"),
    /** A JSON object whose {@code type} this endpoint does not know. */
    UNKNOWN_TYPE("unknown_type"),
    /** Missing or wrong fields, or values out of range. */
    INVALID("invalid"),
    /** Too many messages too fast; the message was dropped. */
    RATE_LIMITED("rate_limited"),
    /** A service the request needs (the cluster bus) cannot take it now; nothing was accepted. */
    UNAVAILABLE("unavailable"),
    /** The client's address holds its whole share of the server's memory budget; nothing was accepted. */
    OVER_BUDGET("over_budget"),
    /** The request is well formed but not allowed to this client (a namespace's policy). */
    FORBIDDEN("forbidden"),
    /** What the request names does not exist (a namespace, a subscription). */
    NOT_FOUND("not_found"),
    /** A limit of the connection or the server was reached (channels per connection, channels in all). */
    LIMIT("limit"),
    /** A publication larger than the limit; nothing was accepted. */
    TOO_BIG("too_big");

    private final String wire;

    ErrorCode(String wire) {
        this.wire = wire;
    }

    /** The code as it appears on the wire. */
    public String wire() {
        return wire;
    }
}
