package duplex.deploy;

import duplex.app.Config;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.yaml.snakeyaml.Yaml;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docker-compose.yml cannot be run here (no Docker engine): CI validates its syntax with
 * {@code docker-compose config -q}, and this test checks that what it says matches the build:
 * the WAR it mounts is the one Maven builds, deployed at the context the tests use, on the ports
 * the README gives, the server versions the deployment tests prove, every knob passed through.
 */
class DockerComposeTest {

    private static final Path COMPOSE = Path.of("docker-compose.yml");
    private static Map<String, Object> services;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void read() throws IOException {
        try (Reader reader = Files.newBufferedReader(COMPOSE)) {
            Map<String, Object> compose = new Yaml().load(reader);
            services = (Map<String, Object>) compose.get("services");
        }
    }

    /** The services that run the WAR. */
    private static final List<String> SERVERS = List.of("tomcat", "payara", "node1", "node2");
    private static final List<String> NODES = List.of("node1", "node2");

    @Test
    void bothServersAreThereAndTheClusterIsAProfile() {
        assertEquals(Set.of("tomcat", "payara", "redis", "node1", "node2", "nginx"), services.keySet());
        for (String name : List.of("tomcat", "payara")) {
            assertEquals(null, service(name).get("profiles"), name + " starts with a plain docker compose up");
        }
        for (String name : List.of("redis", "node1", "node2", "nginx")) {
            assertEquals(List.of("cluster"), stringList(service(name).get("profiles")), name);
        }
    }

    @Test
    void theClusterIsTwoTomcatNodesOnOneRedisBehindTheProjectsNginx() {
        for (String node : NODES) {
            assertEquals(image("tomcat"), image(node), node + " runs the same Tomcat");
            assertEquals(volumes("tomcat"), volumes(node), node + " mounts the same WAR and server.xml");
            assertEquals("${DUPLEX_REDIS_URL:-redis://redis:6379}", String.valueOf(environment(node).get("DUPLEX_REDIS_URL")));
        }
        assertTrue(image("redis").startsWith("redis:7."), image("redis"));
        assertEquals("/etc/nginx/nginx.conf", volumes("nginx").get("./deploy/nginx.conf"));
        // deploy/nginx.conf's upstream names the compose services on Tomcat's port
        String conf = read(Path.of("deploy/nginx.conf"));
        for (String node : NODES) {
            assertTrue(conf.contains("server " + node + ":8080"), "deploy/nginx.conf upstream lacks " + node);
        }
        assertEquals(List.of("8090:80"), stringList(service("nginx").get("ports")));
    }

    @Test
    void theNodesTrustExactlyTheComposeNginx() {
        Map<?, ?> nginxNetworks = (Map<?, ?>) service("nginx").get("networks");
        String nginxAddress = String.valueOf(((Map<?, ?>) nginxNetworks.get("cluster")).get("ipv4_address"));
        for (String node : NODES) {
            assertEquals("${DUPLEX_TRUSTED_PROXIES:-" + nginxAddress + "}", String.valueOf(environment(node).get("DUPLEX_TRUSTED_PROXIES")),
                    node + " trusts the X-Forwarded-For of nginx, and of no one else");
            assertEquals(List.of("cluster"), stringList(service(node).get("networks")), node);
        }
        assertEquals(List.of("cluster"), stringList(service("redis").get("networks")));
        // The standalone servers take clients directly: they trust no proxy by default.
        for (String name : List.of("tomcat", "payara")) {
            assertEquals("${DUPLEX_TRUSTED_PROXIES:-}", String.valueOf(environment(name).get("DUPLEX_TRUSTED_PROXIES")), name);
        }
        String conf = read(Path.of("deploy/nginx.conf"));
        assertTrue(conf.contains("proxy_set_header Host $http_host;"), "nginx passes the Host with its port");
        assertTrue(conf.contains("proxy_set_header X-Forwarded-For "), "nginx passes the client's address");
        assertTrue(conf.contains("proxy_set_header X-Forwarded-Proto $scheme;"), "nginx passes the scheme");
    }

    private static String read(Path path) {
        try {
            return Files.readString(path);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Map<?, ?> environment(String name) {
        return (Map<?, ?>) service(name).get("environment");
    }

    @Test
    void imagesAreTheVersionsTheDeploymentTestsProve() {
        assertTrue(image("tomcat").startsWith("tomcat:" + System.getProperty("tomcat11.version") + "-"), image("tomcat"));
        assertTrue(image("payara").startsWith("payara/micro:" + System.getProperty("payara.version")), image("payara"));
    }

    @Test
    void bothMountTheWarMavenBuildsAtTheDuplexContext() {
        Path built = Path.of(System.getProperty("duplex.war")).toAbsolutePath().normalize();
        Map<String, String> tomcat = volumes("tomcat");
        Map<String, String> payara = volumes("payara");
        for (Map<String, String> volumes : List.of(tomcat, payara)) {
            Map.Entry<String, String> war = volumes.entrySet().stream().filter(v -> v.getValue().endsWith(".war")).findFirst()
                    .orElseThrow(() -> new AssertionError("no WAR mounted: " + volumes));
            assertEquals(built, Path.of(war.getKey()).toAbsolutePath().normalize(), "mounts the WAR Maven builds");
            // Both servers deploy a WAR at its file name: duplex.war is served at /duplex.
            assertEquals("duplex.war", Path.of(war.getValue()).getFileName().toString());
        }
        assertEquals("/usr/local/tomcat/webapps", Path.of(tomcat.get("./target/duplex.war")).getParent().toString());
        assertEquals("/usr/local/tomcat/conf/server.xml", tomcat.get("./deploy/server.xml"));
        assertTrue(Files.isRegularFile(Path.of("deploy/server.xml")));
        // Payara's image deploys what is in --deploymentDir: the directory the WAR is mounted in.
        List<String> command = stringList(service("payara").get("command"));
        String deploymentDir = command.get(command.indexOf("--deploymentDir") + 1);
        assertEquals(deploymentDir, Path.of(payara.get("./target/duplex.war")).getParent().toString());
        assertTrue(command.containsAll(List.of("--nocluster", "--nohazelcast")), command.toString());
    }

    @Test
    void portsAreTheDocumentedOnesAndReachTheServersListeners() throws Exception {
        assertEquals(List.of("8080:" + serverXmlDefault("port")), stringList(service("tomcat").get("ports")));
        assertEquals(List.of("8081:8080"), stringList(service("payara").get("ports")), "Payara Micro listens on 8080");
        for (String name : SERVERS) {
            String check = String.join(" ", stringList(((Map<?, ?>) service(name).get("healthcheck")).get("test")));
            assertTrue(check.contains("/dev/tcp/127.0.0.1/8080") && check.contains("GET /duplex/health "), name + " health check: " + check);
        }
    }

    @Test
    void tomcatIsConfiguredForTwentyThousandConnections() throws Exception {
        assertTrue(Integer.parseInt(serverXmlDefault("maxConnections")) >= 20_000, "deploy/server.xml maxConnections");
        Map<?, ?> nofile = (Map<?, ?>) ((Map<?, ?>) service("tomcat").get("ulimits")).get("nofile");
        assertTrue(((Number) nofile.get("soft")).intValue() > Integer.parseInt(serverXmlDefault("maxConnections")),
                "the file-descriptor limit must be above maxConnections: " + nofile);
    }

    @Test
    void everyTomcatRunsWithTheDeploymentsJvmOptionsAndConnectorBuffers() throws Exception {
        List<String> options = TomcatDistribution.setenvOptions();
        assertTrue(options.contains("-Dorg.apache.tomcat.websocket.DEFAULT_BUFFER_SIZE=2048"), "deploy/setenv.sh: " + options);
        for (String name : List.of("tomcat", "node1", "node2")) {
            assertEquals("/usr/local/tomcat/bin/setenv.sh", volumes(name).get("./deploy/setenv.sh"), name + " mounts deploy/setenv.sh");
        }
        // The run command (mvn package cargo:run) is the README's first deployment: the same options, the same buffers.
        String pom = read(Path.of("pom.xml"));
        Matcher jvmargs = Pattern.compile("<cargo.jvmargs>([^<]*)</cargo.jvmargs>").matcher(pom);
        assertTrue(jvmargs.find(), "pom.xml has cargo.jvmargs");
        List<String> cargo = List.of(jvmargs.group(1).trim().split("\\s+"));
        assertTrue(cargo.containsAll(options), "cargo.jvmargs " + cargo + " lacks some of deploy/setenv.sh's " + options);
        for (String attribute : List.of("socket.appReadBufSize", "socket.appWriteBufSize")) {
            Matcher replacement = Pattern.compile("<attributeName>" + Pattern.quote(attribute) + "</attributeName>\\s*<value>([^<]*)</value>").matcher(pom);
            assertTrue(replacement.find(), "cargo:run sets " + attribute);
            assertEquals(serverXmlDefault(attribute), replacement.group(1), attribute + " in cargo:run and deploy/server.xml");
        }
    }

    @Test
    void everyKnobIsPassedThroughToBothServers() {
        Set<String> expected = Knobs.readByTheCode().stream().map(Config::environmentName).collect(Collectors.toCollection(TreeSet::new));
        for (String name : SERVERS) {
            Map<?, ?> environment = (Map<?, ?>) service(name).get("environment");
            Set<String> passed = environment.keySet().stream().map(String::valueOf).filter(k -> k.startsWith("DUPLEX_"))
                    .collect(Collectors.toCollection(TreeSet::new));
            assertEquals(expected, passed, name + ": docker-compose.yml's x-duplex-environment must list every knob of the "
                    + "configuration table in docs/configuration.md, as NAME: ${NAME:-}");
            for (String variable : passed) {
                if (NODES.contains(name) && (variable.equals("DUPLEX_REDIS_URL") || variable.equals("DUPLEX_TRUSTED_PROXIES"))) {
                    continue; // the cluster's nodes default to the compose Redis and trust the compose nginx
                }
                assertEquals("${" + variable + ":-}", String.valueOf(environment.get(variable)), name + " " + variable);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> service(String name) {
        return (Map<String, Object>) services.get(name);
    }

    private static String image(String name) {
        return String.valueOf(service(name).get("image"));
    }

    /** Short-syntax volumes, source to target (read-only flags dropped). */
    private static Map<String, String> volumes(String name) {
        return stringList(service(name).get("volumes")).stream()
                .map(v -> v.split(":"))
                .collect(Collectors.toMap(parts -> parts[0], parts -> parts[1]));
    }

    private static List<String> stringList(Object list) {
        return ((List<?>) list).stream().map(String::valueOf).toList();
    }

    /** The default of a {@code ${name:-default}} attribute of the HTTP connector in deploy/server.xml. */
    private static String serverXmlDefault(String attribute) throws Exception {
        Element connector = (Element) DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(Path.of("deploy/server.xml").toFile()).getElementsByTagName("Connector").item(0);
        String value = connector.getAttribute(attribute);
        Matcher substitution = Pattern.compile("^\\$\\{[^:}]+:-([^}]*)}$").matcher(value);
        return substitution.matches() ? substitution.group(1) : value;
    }
}
