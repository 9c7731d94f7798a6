package duplex.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The benchmark: starts every server in turn, runs every scenario against it, stops it, and
 * writes the results table with each figure as the median of its runs and as a ratio to node
 * `ws`. Run through Maven: {@code mvn -B -Pbench -DskipTests verify} (full) or with
 * {@code -Dbench.mode=smoke} (a few seconds per server, small sizes: what CI runs).
 */
public final class Bench {

    /** Sizes and durations; every one is a system property {@code bench.*}. */
    record Options(boolean smoke, List<String> servers, Set<String> scenarios, int rounds, int runs, int threads,
                   Duration warmup, Duration measure, int echoConnections, int echoSize, int largeSize,
                   int chatMembers, List<Integer> chatRates, Duration chatWarmup, Duration chatPaced, Duration chatFast, int chatWindow,
                   Duration chatDrain, int idleConnections, int idleConcurrency, Duration idleSettle, boolean idleDeflate,
                   int idleAddresses, Path out, Api api) {

        static Options fromSystemProperties() {
            boolean smoke = "smoke".equals(System.getProperty("bench.mode", "full"));
            return new Options(smoke,
                    list(prop("bench.servers", "all")),
                    Set.copyOf(list(prop("bench.scenarios", "latency,throughput,large,chat,idle,api"))),
                    // Each server is started once per round, servers in turn; each round runs every scenario bench.runs times.
                    Integer.parseInt(prop("bench.rounds", "1")),
                    Integer.parseInt(prop("bench.runs", smoke ? "1" : "3")),
                    Integer.parseInt(prop("bench.threads", "2")),
                    Duration.ofMillis(Long.parseLong(prop("bench.warmup-ms", smoke ? "300" : "3000"))),
                    Duration.ofMillis(Long.parseLong(prop("bench.measure-ms", smoke ? "700" : "5000"))),
                    Integer.parseInt(prop("bench.echo.connections", smoke ? "8" : "64")),
                    Integer.parseInt(prop("bench.echo.size", "32")),
                    Integer.parseInt(prop("bench.large.size", "16384")),
                    Integer.parseInt(prop("bench.chat.members", smoke ? "50" : "1000")),
                    list(prop("bench.chat.rates", smoke ? "100" : "250")).stream().map(Integer::valueOf).toList(),
                    // Unmeasured fan-out before the chat phases: the JIT needs several seconds of it on two shared cores.
                    Duration.ofMillis(Long.parseLong(prop("bench.chat.warmup-ms", smoke ? "300" : "8000"))),
                    Duration.ofMillis(Long.parseLong(prop("bench.chat.paced-ms", smoke ? "500" : "10000"))),
                    Duration.ofMillis(Long.parseLong(prop("bench.chat.fast-ms", smoke ? "700" : "5000"))),
                    Integer.parseInt(prop("bench.chat.window", "32")),
                    Duration.ofMillis(Long.parseLong(prop("bench.chat.drain-ms", smoke ? "20000" : "180000"))),
                    Integer.parseInt(prop("bench.idle.connections", smoke ? "200" : "10000")),
                    Integer.parseInt(prop("bench.idle.concurrency", "8")),
                    Duration.ofMillis(Long.parseLong(prop("bench.idle.settle-ms", smoke ? "300" : "2000"))),
                    // Idle connections open as a browser does: with the permessage-deflate offer (false: no offer).
                    Boolean.parseBoolean(prop("bench.idle.deflate", "true")),
                    // ... from this many loopback addresses, 127.0.0.2 and up (0: the system's choice, 127.0.0.1).
                    Integer.parseInt(prop("bench.idle.addresses", "128")),
                    Path.of(prop("bench.out", smoke ? "target/bench/BENCHMARKS-smoke.md" : "docs/BENCHMARKS.md")),
                    Api.fromSystemProperties(smoke));
        }

        /**
         * The push API scenario (6): {@code subscribers} {@code /live} connections on one channel,
         * {@code publishers} HTTP clients POSTing into it as fast as they go (at most {@code window}
         * publications not yet delivered to every subscriber; 0: no bound but the answers), then
         * one publisher at each of {@code rates} publications per second for {@code paced}.
         */
        record Api(int subscribers, int publishers, int window, List<Integer> rates, Duration warmup, Duration paced, String channel) {
            static Api fromSystemProperties(boolean smoke) {
                return new Api(
                        Integer.parseInt(prop("bench.api.subscribers", smoke ? "50" : "1000")),
                        Integer.parseInt(prop("bench.api.publishers", smoke ? "4" : "16")),
                        Integer.parseInt(prop("bench.api.window", "32")),
                        list(prop("bench.api.rates", "100")).stream().map(Integer::valueOf).toList(),
                        // Unmeasured: the HTTP path and the fan-out (server and harness) compiled before the first
                        // window. Run alone, Tomcat went 287, 454, 483 publications/s in three runs after 5 s of it,
                        // 579 and 667 after 20 s, as many as after every other scenario (2026-12-02).
                        Duration.ofMillis(Long.parseLong(prop("bench.api.warmup-ms", smoke ? "300" : "20000"))),
                        Duration.ofMillis(Long.parseLong(prop("bench.api.paced-ms", smoke ? "500" : "10000"))),
                        // A namespace only the API publishes to (clientPublish false), with the shipped namespaces.
                        prop("bench.api.channel", "news:bench"));
            }
        }

        static String prop(String name, String fallback) {
            String value = System.getProperty(name);
            return value == null || value.isBlank() ? fallback : value.trim();
        }

        static List<String> list(String csv) {
            return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        }
    }

    private static List<String> list(String csv) {
        return Options.list(csv);
    }

    /** Where things are on this machine, and the versions of what runs. */
    record Env(Path dir, Path tomcatHome, Path war, Path peers, String node, Path jfr, String serverHeap,
               List<String> duplexKnobs, List<String> serverJvmArgs, Map<String, String> tomcatConnector, Map<String, String> tomcatContextParams,
               Map<String, String> cache) {

        static final String SYSTEM_PYTHON = "/usr/bin/python3";

        static Env detect() throws IOException {
            Path dir = Path.of(System.getProperty("bench.dir", "target/bench")).toAbsolutePath();
            Files.createDirectories(dir);
            String jfr = System.getProperty("bench.jfr");
            String node = which("node");
            Env env = new Env(dir,
                    Path.of(System.getProperty("bench.tomcatHome", dir.resolve("apache-tomcat").toString())),
                    Path.of(System.getProperty("bench.war", "target/duplex.war")).toAbsolutePath(),
                    Path.of("src/bench/peers").toAbsolutePath(),
                    node,
                    jfr == null || jfr.isBlank() ? null : Files.createDirectories(Path.of(jfr).toAbsolutePath()),
                    Options.prop("bench.server-heap", "1g"),
                    knobsFromProperties(),
                    // Extra JVM options for every Java server, comma separated (-Dbench.server-jvmargs=-Xms64m,-XX:+UseSerialGC).
                    list(Options.prop("bench.server-jvmargs", "")),
                    // Extra attributes of the Tomcat targets' HTTP connector (-Dbench.tomcat.connector=socket.appReadBufSize=1024,...).
                    contextParams(Options.prop("bench.tomcat.connector", "")),
                    // Context parameters the Tomcat targets' context file sets (name=value,...), over the WAR's web.xml.
                    contextParams(Options.prop("bench.tomcat.context-params", "")),
                    new java.util.concurrent.ConcurrentHashMap<>());
            if (node != null) {
                env.installNpmPackages();
            }
            return env;
        }

        /**
         * Duplex's settings for the benchmark, as system properties of the server process. The
         * defaults stand except where the scenario itself would trip a protection: listed in the report.
         */
        private static List<String> knobsFromProperties() {
            List<String> knobs = new ArrayList<>(BENCH_KNOBS.entrySet().stream().map(e -> "-D" + e.getKey() + "=" + e.getValue()).toList());
            String extra = Options.prop("bench.duplex.knobs", "");
            for (String knob : extra.split(",")) {
                if (!knob.isBlank()) {
                    knobs.add("-D" + knob.trim());
                }
            }
            return knobs;
        }

        /** {@code name=value,name=value} */
        private static Map<String, String> contextParams(String csv) {
            Map<String, String> params = new LinkedHashMap<>();
            for (String entry : list(csv)) {
                int eq = entry.indexOf('=');
                params.put(entry.substring(0, eq).trim(), entry.substring(eq + 1).trim());
            }
            return params;
        }

        Path peerScript(String name) {
            return peers.resolve(name);
        }

        /** npm packages from src/bench/peers/package.json, installed under target/bench/npm. */
        private void installNpmPackages() throws IOException {
            Path npm = dir.resolve("npm");
            Files.createDirectories(npm);
            Path manifest = peers.resolve("package.json");
            Path installed = npm.resolve("package.json");
            if (Files.exists(installed) && Files.readString(installed).equals(Files.readString(manifest))
                    && Files.isDirectory(npm.resolve("node_modules/ws")) && Files.isDirectory(npm.resolve("node_modules/nodejs-websocket"))) {
                return;
            }
            Files.copy(manifest, installed, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            System.out.println("bench: npm install (ws, nodejs-websocket) into " + npm);
            String output = ProcStats.run(List.of("npm", "install", "--no-audit", "--no-fund", "--no-package-lock", "--prefix", npm.toString()));
            if (!Files.isDirectory(npm.resolve("node_modules/ws"))) {
                throw new IOException("npm install failed:\n" + output);
            }
        }

        /** NODE_PATH for the peer scripts, which live in src/ while their packages are under target/. */
        Map<String, String> nodeEnvironment() {
            return Map.of("NODE_PATH", dir.resolve("npm/node_modules").toString());
        }

        String npmVersion(String pkg) {
            return cache.computeIfAbsent("npm:" + pkg, k -> {
                try {
                    String json = Files.readString(dir.resolve("npm/node_modules/" + pkg + "/package.json"));
                    return Targets.firstGroup(Pattern.compile("\"version\"\\s*:\\s*\"([^\"]+)\""), json);
                } catch (IOException e) {
                    return "?";
                }
            });
        }

        String nodeVersion() {
            return cache.computeIfAbsent("node", k -> node == null ? "?" : ProcStats.run(List.of(node, "--version")).trim());
        }

        String tornadoVersion() {
            String v = cache.computeIfAbsent("tornado", k -> Files.isExecutable(Path.of(SYSTEM_PYTHON))
                    ? ProcStats.run(List.of(SYSTEM_PYTHON, "-c", "import tornado; print(tornado.version)")).trim() : "");
            return v.isEmpty() || v.contains("Error") ? null : v;
        }

        String pythonVersion() {
            return cache.computeIfAbsent("python", k -> ProcStats.run(List.of(SYSTEM_PYTHON, "--version")).trim().replace("Python ", ""));
        }

        String tomcatVersion() {
            return tomcatHome.getFileName().toString().replace("apache-tomcat-", "");
        }

        String tyrusVersion() {
            return System.getProperty("bench.tyrusVersion", "?");
        }

        private static String which(String program) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
                Path candidate = Path.of(dir, program);
                if (Files.isExecutable(candidate)) {
                    return candidate.toString();
                }
            }
            return null;
        }
    }

    /** The benchmark's API key (not a secret: it exists only in the benchmark's server processes). */
    static final String API_KEY_NAME = "bench";
    static final String API_KEY_SECRET = "bench-secret-0123456789";

    /**
     * Duplex knobs the benchmark sets, and why; the report lists them. Empty means every default.
     */
    static final Map<String, String> BENCH_KNOBS = new LinkedHashMap<>();

    static {
        // The chat sender says up to thousands of messages a second; the per-session rate limit
        // (default 20/s, burst 40) exists to stop exactly that, so it is lifted for the benchmark.
        BENCH_KNOBS.put("duplex.rate-limit.per-second", "1000000");
        BENCH_KNOBS.put("duplex.rate-limit.burst", "1000000");
        // Every client of the benchmark is one address (127.0.0.1): the limit all connections of
        // an address share would otherwise be the figure, and so would its share of the memory
        // budget (echo replies waiting to go out are charged to it).
        BENCH_KNOBS.put("duplex.rate-limit.per-address", "1000000");
        BENCH_KNOBS.put("duplex.memory.per-address", "1073741824");
        BENCH_KNOBS.put("duplex.memory.total", "1073741824");
        // At 1000 messages/s offered into 1000 members the peers queue without bound; with the
        // default outbox bound (1000 messages / 1 MiB) Duplex would instead cut every member off
        // as a slow consumer within a second or two. The bound is raised so that the rates and
        // latencies compare like with like; the slow-consumer protection itself is tested in ChatIT.
        BENCH_KNOBS.put("duplex.outbox.max-messages", "1000000");
        BENCH_KNOBS.put("duplex.outbox.max-bytes", "1073741824");
        // Members only listen. While their outbox is busy the heartbeat cannot ping them (one send
        // on the wire at a time), so a chat scenario longer than the idle timeout (default 5 min)
        // would close them as idle: raised so that a slow server's long drains do not end it.
        BENCH_KNOBS.put("duplex.idle-timeout", "30m");
        // Every benchmark connection comes from 127.0.0.1, and the idle scenario holds 10000 of
        // them: the per-address limit (default 100) exists to stop exactly that from one client.
        BENCH_KNOBS.put("duplex.max-connections-per-address", "1000000");
        // The push API scenario publishes through the HTTP API, which is off without a key.
        BENCH_KNOBS.put("duplex.api.keys", API_KEY_NAME + "=" + API_KEY_SECRET);
        // Its publishers are one key; the per-key limit (default 1000 requests/s, burst 2000)
        // would otherwise be the figure, not the server: lifted as the chat's rate limit is.
        BENCH_KNOBS.put("duplex.api.requests-per-second", "1000000");
    }

    /** Everything measured for one server. */
    static final class Result {
        final Target target;
        final Map<String, List<Double>> runs = new LinkedHashMap<>();
        final Map<String, String> failures = new LinkedHashMap<>();
        String skipped;
        String version;
        String loadBefore;
        String loadAfter;

        Result(Target target) {
            this.target = target;
        }

        void add(List<Map<String, Double>> figures) {
            for (Map<String, Double> run : figures) {
                run.forEach((key, value) -> runs.computeIfAbsent(key, k -> new ArrayList<>()).add(value));
            }
        }

        Double median(String key) {
            List<Double> values = runs.get(key);
            if (values == null || values.isEmpty()) {
                return null;
            }
            return Scenarios.median(values.stream().mapToDouble(Double::doubleValue).toArray());
        }
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.fromSystemProperties();
        Env env = Env.detect();
        List<Target> targets = Targets.all().stream()
                .filter(t -> options.servers().contains(t.name)
                        // The lean Tomcat differs from duplex-tomcat only in buffer sizes: the smoke run leaves it out.
                        || options.servers().contains("all") && !(options.smoke() && t instanceof Targets.DuplexTomcatLean))
                .toList();
        Instant started = Instant.now();
        String loadAtStart = uptime();
        System.out.println("bench: " + (options.smoke() ? "smoke" : "full") + " run of " + targets.stream().map(t -> t.name).toList()
                + "; load " + loadAtStart);
        List<Result> results = new ArrayList<>();
        boolean failed = false;
        for (Target target : targets) {
            results.add(new Result(target));
        }
        try (Engine engine = new Engine(options.threads())) {
          // Rounds: every server once per round, in turn, so that a machine whose speed drifts
          // (other work on it, CPU steal) does not favour whoever ran in its quiet minutes.
          for (int round = 1; round <= options.rounds(); round++) {
            for (Result result : results) {
                Target target = result.target;
                String unavailable = target.unavailable(env);
                if (unavailable != null) {
                    if (round == 1) {
                        result.skipped = unavailable;
                        System.out.println("bench: " + target.name + " skipped: " + unavailable);
                        failed |= !options.smoke() ? false : target.name.startsWith("duplex");
                    }
                    continue;
                }
                result.version = target.version(env);
                String load = uptime();
                if (round == 1) {
                    result.loadBefore = load;
                }
                System.out.println("bench: " + target.name + " (" + result.version + "), round " + round + " of " + options.rounds()
                        + ", load " + load);
                try (Target.Running running = target.start(env)) {
                    Scenarios scenarios = new Scenarios(engine, options, running);
                    failed |= !run(result, "latency", options, () -> scenarios.echo("echo-latency", 1, options.echoSize()));
                    failed |= !run(result, "throughput", options, () -> scenarios.echo("echo-throughput", options.echoConnections(), options.echoSize()));
                    failed |= !run(result, "large", options, () -> scenarios.echo("echo-large", options.echoConnections(), options.largeSize()));
                    if (target.chat() != Target.Chat.NONE) {
                        failed |= !run(result, "chat", options, () -> scenarios.chat(target.chat()));
                    } else if (options.scenarios().contains("chat")) {
                        result.failures.put("chat", "no chat endpoint");
                    }
                    failed |= !run(result, "idle", options, scenarios::idle);
                    if (target.apiPublishPath() != null) {
                        failed |= !run(result, "api", options, scenarios::api);
                    } else if (options.scenarios().contains("api")) {
                        result.failures.put("api", "n/a: no push API");
                    }
                    scrapeMetrics(env, running);
                } catch (IOException | RuntimeException e) {
                    result.failures.put("start", e.getMessage());
                    System.out.println("bench: " + target.name + " failed to start: " + e.getMessage());
                    failed = true;
                }
                result.loadAfter = uptime();
            }
          }
        }
        String loadAtEnd = uptime();
        String report = Report.markdown(options, env, results, started, Instant.now(), loadAtStart, loadAtEnd);
        Files.createDirectories(options.out().toAbsolutePath().getParent());
        Files.writeString(options.out(), report, StandardCharsets.UTF_8);
        System.out.println(Report.summary(results));
        System.out.println("bench: wrote " + options.out().toAbsolutePath() + " in "
                + Duration.between(started, Instant.now()).truncatedTo(ChronoUnit.SECONDS).toString().substring(2).toLowerCase(Locale.ROOT));
        List<String> violations = Report.smokeViolations(results);
        if (options.smoke() && !violations.isEmpty()) {
            System.out.println("bench: smoke failed: " + violations);
            failed = true;
        }
        if (failed) {
            System.out.println("bench: FAILED (a server or scenario did not complete; see above)");
            System.exit(1);
        }
    }

    interface Scenario {
        List<Map<String, Double>> run() throws Exception;
    }

    /**
     * Saves what the server's own /metrics says after the load (Duplex on Tomcat): the operator's
     * view of the same run, next to the report. A failed scrape is reported, not fatal.
     */
    private static void scrapeMetrics(Env env, Target.Running running) {
        String path = running.target.metricsPath();
        if (path == null) {
            return;
        }
        Path file = env.dir().resolve("metrics-" + running.target.name + ".txt");
        try {
            var response = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + running.port + path))
                            .timeout(Duration.ofSeconds(20)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            Files.writeString(file, response.body());
            System.out.println("  metrics: HTTP " + response.statusCode() + ", saved to " + file);
        } catch (IOException | RuntimeException e) {
            System.out.println("  metrics: not scraped: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean run(Result result, String name, Options options, Scenario scenario) {
        if (!options.scenarios().contains(name)) {
            return true;
        }
        long start = System.nanoTime();
        try {
            List<Map<String, Double>> figures = scenario.run();
            result.add(figures);
            System.out.println("  " + name + " (" + (System.nanoTime() - start) / 1_000_000 + " ms): "
                    + figures.stream().map(Bench::brief).collect(Collectors.joining(" | ")));
            return true;
        } catch (Exception e) {
            result.failures.put(name, String.valueOf(e.getMessage()));
            System.out.println("  " + name + " FAILED: " + e);
            return false;
        }
    }

    private static String brief(Map<String, Double> figures) {
        return figures.entrySet().stream()
                .filter(e -> !e.getKey().endsWith(".count") && !e.getKey().endsWith(".p999"))
                .map(e -> e.getKey().substring(e.getKey().indexOf('.') + 1) + "=" + Report.number(e.getValue()))
                .collect(Collectors.joining(" "));
    }

    /** The load averages, as `uptime` prints them. */
    static String uptime() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return parts[0] + ", " + parts[1] + ", " + parts[2];
        } catch (IOException e) {
            return "?";
        }
    }

    static String processCpuCores(long wallNanos, long cpuNanos) {
        return String.format(Locale.ROOT, "%.2f", cpuNanos / (double) wallNanos);
    }

    static long jvmProcessCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }
}
