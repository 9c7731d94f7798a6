package duplex.protocol;


/**
 * {@code {"type":"error","code":"...","message":"..."}}: the answer to a bad request. The
 * connection stays open. The message is for people; clients branch on the code.
 */
public record ErrorMessage(ErrorCode code, String message) {

    public String toJson() {
        return Jsons.createObjectBuilder()
                .add("type", "error")
                .add("code", code.wire())
                .add("message", message)
                .build()
                .toString();
    }
}
