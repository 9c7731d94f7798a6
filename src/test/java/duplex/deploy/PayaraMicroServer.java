package duplex.deploy;

import duplex.testing.ChildProcess;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Payara Micro 6 from its Maven Central jar, run as {@code java -jar payara-micro.jar} with the
 * WAR deployed at /duplex. Clustering is off: it adds seconds to the start and would let the
 * instance join any other Payara Micro on the network.
 */
public final class PayaraMicroServer extends ServerProcess {

    private final Path jar;
    private final java.util.Map<String, String> environment = new java.util.TreeMap<>();

    public PayaraMicroServer(String name) {
        super(name);
        this.jar = Path.of(required("duplex.payara.jar"));
    }

    /** A Duplex knob for this server, as the environment variable it reads (Payara has no -D here). */
    @Override
    public PayaraMicroServer knob(String name, String value) {
        environment.put(duplex.app.Config.environmentName(name), value);
        return this;
    }

    @Override
    protected java.util.Map<String, String> environment() {
        return environment;
    }

    @Override
    protected List<String> command() throws IOException {
        Path root = dir.resolve("root");
        deleteRecursively(root);
        Files.createDirectories(root);
        return List.of(ChildProcess.java(), "-Xmx1g",
                "-jar", jar.toString(),
                "--nocluster", "--nohazelcast",
                "--port", String.valueOf(port),
                "--rootdir", root.toString(),
                "--deploy", war().toString(),
                "--contextroot", "duplex");
    }
}
