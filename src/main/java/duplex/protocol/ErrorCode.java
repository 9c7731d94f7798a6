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
    OVER_BUDGET("over_budget");

    private final String wire;

    ErrorCode(String wire) {
        this.wire = wire;
    }

    /** The code as it appears on the wire. */
    public String wire() {
        return wire;
    }
}
