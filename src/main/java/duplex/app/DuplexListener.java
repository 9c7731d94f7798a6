package duplex.app;

import duplex.guard.HandshakeGuard;
import duplex.guard.OpsAccess;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterRegistration;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;

import java.util.EnumSet;

/** Starts Duplex with the web application and stops it, gracefully, with it. */
@WebListener
public final class DuplexListener implements ServletContextListener {

    private static final System.Logger LOG = System.getLogger(DuplexListener.class.getName());
    private static final String ATTRIBUTE = Duplex.class.getName();

    @Override
    public void contextInitialized(ServletContextEvent event) {
        ServletContext context = event.getServletContext();
        // A bad knob throws here, which fails the deployment with the knob's name in the message.
        Settings settings = Settings.load(Config.fromPlatform(context::getInitParameter));
        Duplex duplex = new Duplex(settings);
        DuplexConfigurator.install(duplex);
        // Ahead of the container's own WebSocket filter (which is registered "after" the
        // declared ones), so a refused handshake never reaches the upgrade.
        FilterRegistration.Dynamic guard = context.addFilter("duplex-handshake-guard",
                new HandshakeGuard(duplex.originPolicy(), duplex.handshakeToken(), settings.trustedProxies(),
                        new OpsAccess(settings.opsToken().value(), settings.opsRole())));
        guard.setAsyncSupported(true);
        guard.addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
        // The API for backends; asynchronous, because publications wait for the bus.
        var api = context.addServlet("duplex-api", duplex.api());
        api.setAsyncSupported(true);
        api.addMapping("/api/*");
        context.setAttribute(ATTRIBUTE, duplex);
        LOG.log(System.Logger.Level.INFO, "Duplex started at {0} with {1}", context.getContextPath(), settings);
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        if (event.getServletContext().getAttribute(ATTRIBUTE) instanceof Duplex duplex) {
            DuplexConfigurator.uninstall(duplex);
            duplex.close();
            event.getServletContext().removeAttribute(ATTRIBUTE);
            LOG.log(System.Logger.Level.INFO, "Duplex stopped");
        }
    }
}
