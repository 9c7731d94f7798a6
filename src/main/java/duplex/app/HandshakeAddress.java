package duplex.app;

import jakarta.servlet.ServletRequestEvent;
import jakarta.servlet.ServletRequestListener;
import jakarta.servlet.annotation.WebListener;

/**
 * Holds the client address of the HTTP request being handled on this thread, so the WebSocket
 * handshake, which the WebSocket API gives no address, can record it for the logs. The container
 * calls this listener on the request's thread before its filters, and the handshake
 * ({@code Configurator.modifyHandshake}) runs inside those filters on the same thread.
 */
@WebListener
public final class HandshakeAddress implements ServletRequestListener {

    private static final ThreadLocal<String> CURRENT = new ThreadLocal<>();

    @Override
    public void requestInitialized(ServletRequestEvent event) {
        CURRENT.set(event.getServletRequest().getRemoteAddr());
    }

    @Override
    public void requestDestroyed(ServletRequestEvent event) {
        // Cleared on every request, so a pooled thread never carries an address (or a
        // reference into this web application) past the request it belongs to.
        CURRENT.remove();
    }

    /** The address of the request on this thread, or null outside a request. */
    static String current() {
        return CURRENT.get();
    }
}
