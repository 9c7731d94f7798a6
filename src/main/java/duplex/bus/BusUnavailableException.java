package duplex.bus;

/**
 * The bus cannot take the request now (Redis unreachable or too slow). Nothing was accepted:
 * a message that fails with this has no seq and reached nobody.
 */
public final class BusUnavailableException extends RuntimeException {

    public BusUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    public BusUnavailableException(String message) {
        super(message);
    }
}
