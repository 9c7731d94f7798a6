package duplex.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Starts the server the configuration names ({@link ServerUnderTest#configured}: embedded Tyrus
 * by default, {@code -Dduplex.server=tomcat|war|tomcat11|tomcat10|payara}, or the deployed server
 * {@code -Dduplex.baseUrl} names) once for a test class, hands it to any method that takes a
 * {@link ServerUnderTest}, and closes it after the class:
 *
 * <pre>{@code
 * @ExtendWith(ServerUnderTestExtension.class)
 * class EchoIT {
 *     private static ServerUnderTest server;
 *
 *     @BeforeAll
 *     static void start(ServerUnderTest configured) {
 *         server = configured;
 *     }
 * }</pre>
 */
public final class ServerUnderTestExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

    /** On a test class that needs the servlets and pages: then it gets the WAR on Tomcat where Tyrus is configured. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    public @interface NeedsServlets {
    }

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(ServerUnderTestExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        Class<?> test = context.getRequiredTestClass();
        ServerUnderTest server = ServerUnderTest.configured(test.getSimpleName(), test.isAnnotationPresent(NeedsServlets.class));
        context.getStore(NAMESPACE).put(test, server);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        ServerUnderTest server = context.getStore(NAMESPACE).remove(context.getRequiredTestClass(), ServerUnderTest.class);
        if (server != null) {
            server.close();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == ServerUnderTest.class;
    }

    @Override
    public ServerUnderTest resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getStore(NAMESPACE).get(context.getRequiredTestClass(), ServerUnderTest.class);
    }
}
