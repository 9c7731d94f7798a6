package duplex.delivery;

import jakarta.websocket.Session;

import java.io.IOException;
import java.net.URL;
import java.util.Collections;
import java.util.Enumeration;

/**
 * The context class loader our sends run under on Tyrus (Payara): the application's own loader,
 * minus one service lookup that costs more than the send itself.
 *
 * <p>Why: Tyrus restarts a session's idle timer on every send (and every message received), even
 * when the session has no idle timeout: it cancels the timer and schedules a new one
 * ({@code TyrusSession.restartIdleTimeoutExecutor}) on the container's scheduled executor, which on
 * Payara is {@code java:comp/DefaultManagedScheduledExecutorService}. A managed executor captures
 * the submitting thread's context for each task, and Payara's
 * {@code ContextSetupProviderImpl.saveContext} starts that with
 * {@code ServiceLoader.load(ThreadContextProvider.class, <context class loader>)}: a search of every
 * jar of the WAR and of the Payara Micro runtime for
 * {@code META-INF/services/jakarta.enterprise.concurrent.spi.ThreadContextProvider}, per send. A
 * broadcast to a room of 1000 was 1000 such searches; profiled in a close storm on Payara Micro
 * 6.2025.10, they were a third of the server's CPU and most of its presence and quote fan-out.
 *
 * <p>Under this loader that search finds nothing at once; everything else (classes, every other
 * resource) is delegated to the application's loader, so code that runs inside a send (a handler
 * completed inline) sees the same classes. The timer task Tyrus schedules does nothing for a session
 * without an idle timeout (Duplex sets none: its heartbeat closes idle peers), so the thread context
 * it captures does not matter. On other containers sends run as they are.
 */
final class SendLoader extends ClassLoader {

    /** The lookup hidden: nothing of Duplex's provides a ThreadContextProvider. */
    static final String HIDDEN = "META-INF/services/jakarta.enterprise.concurrent.spi.ThreadContextProvider";

    static {
        registerAsParallelCapable();
    }

    /** One per deployment: a child of the loader that loaded Duplex (the WAR's). */
    private static final SendLoader FOR_THIS_APPLICATION = new SendLoader(SendLoader.class.getClassLoader());

    SendLoader(ClassLoader application) {
        super("duplex-sends", application);
    }

    /** The loader to send under for this session, or null to send under the thread's own. */
    static ClassLoader forSession(Session session) {
        return session != null && session.getClass().getName().startsWith("org.glassfish.tyrus.")
                ? FOR_THIS_APPLICATION : null;
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        return HIDDEN.equals(name) ? Collections.emptyEnumeration() : super.getResources(name);
    }

    @Override
    public URL getResource(String name) {
        return HIDDEN.equals(name) ? null : super.getResource(name);
    }
}
