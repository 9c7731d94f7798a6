package duplex.bus;

/** A room member as the cluster knows it: the server-given id and the display name. */
public record Member(String id, String name) {
}
