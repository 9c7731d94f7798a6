package duplex.delivery;

import jakarta.websocket.Session;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.Collections;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class SendLoaderTest {

    @Test
    void onlyTyrusSessionsSendUnderIt() {
        Session other = (Session) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[]{Session.class},
                (proxy, method, args) -> null);
        assertNull(SendLoader.forSession(other));
        assertNull(SendLoader.forSession(null));
    }

    @Test
    void hidesTheThreadContextProviderLookupAndNothingElse() throws Exception {
        ClassLoader loader = new SendLoader(SendLoader.class.getClassLoader());
        assertFalse(loader.getResources(SendLoader.HIDDEN).hasMoreElements());
        assertNull(loader.getResource(SendLoader.HIDDEN));
        // Everything else is the application's: the same classes, the same resources.
        assertSame(Outbox.class, loader.loadClass(Outbox.class.getName()));
        String own = "duplex/delivery/Outbox.class";
        assertNotNull(loader.getResource(own));
        assertEquals(Collections.list(SendLoader.class.getClassLoader().getResources(own)), Collections.list(loader.getResources(own)));
    }
}
