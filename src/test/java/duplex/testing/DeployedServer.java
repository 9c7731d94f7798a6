package duplex.testing;

import java.net.URI;

/** A server deployed elsewhere ({@value ServerUnderTest#BASE_URL_PROPERTY}): the test did not start it and does not stop it. */
record DeployedServer(URI base) implements ServerUnderTest {

    @Override
    public String name() {
        return "deployed";
    }

    @Override
    public void close() {
        // not ours to stop
    }
}
