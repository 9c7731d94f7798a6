package duplex.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleUnaryOperator;

/** Writes the results as Markdown: machine, settings, one table per scenario, the targets. */
final class Report {

    private static final String BASELINE = "ws";

    private Report() {
    }

    /** One column of a table: a metric, how to show it, and whether higher is better. */
    private record Column(String key, String header, DoubleUnaryOperator scale, int decimals, boolean ratio) {
        static Column of(String key, String header, int decimals) {
            return new Column(key, header, v -> v, decimals, true);
        }

        static Column ms(String key, String header) {
            return new Column(key, header, v -> v / 1000, 1, true);
        }

        static Column kib(String key, String header) {
            return new Column(key, header, v -> v / 1024, 1, true);
        }

        static Column plain(String key, String header, int decimals) {
            return new Column(key, header, v -> v, decimals, false);
        }

        /** A share (0 to 1) shown in percent. */
        static Column percent(String key, String header) {
            return new Column(key, header, v -> v * 100, 0, false);
        }
    }

    static String markdown(Bench.Options options, Bench.Env env, List<Bench.Result> results, Instant started, Instant finished,
                           String loadStart, String loadEnd) {
        StringBuilder md = new StringBuilder();
        md.append("# Benchmarks\n\n");
        if (options.smoke()) {
            md.append("**Smoke run** (small sizes, short windows): proves the harness works, not how fast anything is.\n\n");
        }
        md.append("Duplex against the WebSocket servers people would pick instead, in one run on one machine, "
                + "server and load generator sharing its cores. Each figure is the **median of ").append(options.rounds() * options.runs())
                .append(options.rounds() * options.runs() == 1 ? " run**" : " runs**")
                .append(options.rounds() > 1 ? " (" + options.rounds() + " rounds, the servers in turn, each started afresh per round)" : "")
                .append(";").append(" `×` is the ratio to node `ws` in the same run (for latencies and memory lower is better, "
                        + "for rates higher is better). Written by the harness (`src/bench/java/duplex/bench`).\n\n");
        md.append("Reproduce: `mvn -B -Pbench -DskipTests verify").append(options.smoke() ? " -Dbench.mode=smoke" : "")
                .append("` (see docs/testing.md, Running the benchmarks, for the parameters).\n\n");

        md.append("## Machine and run\n\n| | |\n|---|---|\n");
        row(md, "when", started.truncatedTo(ChronoUnit.SECONDS) + " to " + finished.truncatedTo(ChronoUnit.SECONDS));
        row(md, "CPU", cpuModel() + ", `nproc` = " + Runtime.getRuntime().availableProcessors());
        row(md, "memory", memory());
        row(md, "OS", System.getProperty("os.name") + " " + System.getProperty("os.version") + " (" + osRelease() + ")");
        row(md, "JDK", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + "; every Java server runs with `-Xmx" + env.serverHeap() + " -XX:+UseG1GC`");
        row(md, "load averages (`uptime`)", "at start " + loadStart + "; at end " + loadEnd
                + " (1, 5, 15 min; the machine is shared with other builds, so treat small differences as noise)");
        row(md, "load generator", "this JVM, " + options.threads() + " NIO threads (many connections per thread, RFC 6455 framing "
                + "over SocketChannel, masked client frames), HdrHistogram; its own CPU is in each table (`harness CPU`, in cores)");
        row(md, "runs", (options.rounds() > 1 ? options.rounds() + " rounds (every server started once per round, in turn), each with " : "")
                + options.runs() + " measured windows of " + options.measure().toMillis() + " ms after " + options.warmup().toMillis()
                + " ms of warm-up (echo); chat after " + options.chatWarmup().toMillis() + " ms as fast as it goes and as long at each paced rate, unmeasured; " + options.runs() + " repetitions of the chat phases and of the idle scenario; push API after " + options.api().warmup().toMillis()
                + " ms as fast as it goes, unmeasured, then " + options.runs() + " repetitions of its phases");
        row(md, "Duplex knobs", Bench.BENCH_KNOBS.isEmpty() ? "all defaults"
                : String.join(", ", Bench.BENCH_KNOBS.entrySet().stream().map(e -> "`" + e.getKey() + "=" + e.getValue() + "`").toList())
                + " (system properties of the server process; every other knob at its default)");
        row(md, "Tomcat configuration", "`duplex-tomcat`: Duplex's deployment file `deploy/server.xml` (maxConnections 20000); "
                + "`tomcat-examples`: the stock server.xml with the same connector limits, `maxConnections=\"20000\" acceptCount=\"1024\"` "
                + "(stock Tomcat refuses past 8192 connections); everything else stock");
        md.append("\n### Servers\n\n| name | what | version | load before / after |\n|---|---|---|---|\n");
        for (Bench.Result r : results) {
            md.append("| `").append(r.target.name).append("` | ").append(r.target.description).append(" | ")
                    .append(r.skipped != null ? "skipped: " + r.skipped : r.version).append(" | ")
                    .append(r.loadBefore == null ? "" : r.loadBefore + " / " + r.loadAfter).append(" |\n");
        }

        table(md, results, "1. Echo latency", "1 connection, " + options.echoSize() + "-byte text, closed loop; round trip in µs.",
                List.of(Column.of("echo-latency.p50", "p50 µs", 0), Column.of("echo-latency.p99", "p99 µs", 0),
                        Column.of("echo-latency.p999", "p99.9 µs", 0), Column.of("echo-latency.msgs", "msgs/s", 0),
                        Column.plain("echo-latency.client-cpu", "harness CPU", 2), Column.plain("echo-latency.server-cpu", "server CPU", 2), Column.percent("echo-latency.server-sys", "kernel %"),
                        Column.of("echo-latency.server-us", "server CPU µs/msg", 1),
                        Column.plain("echo-latency.client-us", "harness CPU µs/msg", 1)),
                "latency");
        table(md, results, "2. Echo throughput", options.echoConnections() + " connections, " + options.echoSize()
                        + "-byte text, closed loop (one message in flight per connection).",
                List.of(Column.of("echo-throughput.msgs", "msgs/s", 0), Column.of("echo-throughput.p50", "p50 µs", 0),
                        Column.of("echo-throughput.p99", "p99 µs", 0),
                        Column.plain("echo-throughput.client-cpu", "harness CPU", 2), Column.plain("echo-throughput.server-cpu", "server CPU", 2), Column.percent("echo-throughput.server-sys", "kernel %"),
                        Column.of("echo-throughput.server-us", "server CPU µs/msg", 1),
                        Column.plain("echo-throughput.client-us", "harness CPU µs/msg", 1)),
                "throughput");
        table(md, results, "3. Echo large", options.echoConnections() + " connections, " + options.largeSize()
                        + "-byte text, closed loop; MB/s one way (10^6 bytes).",
                List.of(Column.of("echo-large.mbs", "MB/s", 1), Column.of("echo-large.msgs", "msgs/s", 0),
                        Column.of("echo-large.p99", "p99 µs", 0),
                        Column.plain("echo-large.client-cpu", "harness CPU", 2), Column.plain("echo-large.server-cpu", "server CPU", 2), Column.percent("echo-large.server-sys", "kernel %"),
                        Column.of("echo-large.server-us", "server CPU µs/msg", 1),
                        Column.plain("echo-large.client-us", "harness CPU µs/msg", 1)),
                "large");
        for (int rate : options.chatRates()) {
            table(md, results, "4. Chat fan-out at " + rate + " messages/s",
                    options.chatMembers() + " members of one room, one of them sending " + rate + " messages/s for "
                            + options.chatPaced().toMillis() + " ms (" + String.format(Locale.ROOT, "%,d", (long) rate * options.chatMembers())
                            + " deliveries/s offered); rate = deliveries / (last delivery - first send); latency = send to delivery, in ms; "
                            + "taken in = how many of the " + String.format(Locale.ROOT, "%,d", rate * options.chatPaced().toMillis() / 1000)
                            + " messages offered the server had read and broadcast within 100 ms of the last offer; "
                            + "lost = never delivered (the harness waits until nothing has arrived for 30 s, at most "
                            + options.chatDrain().toSeconds() + " s).",
                    List.of(Column.of("chat-" + rate + ".deliveries", "deliveries/s", 0), Column.ms("chat-" + rate + ".p50", "p50 ms"),
                            Column.ms("chat-" + rate + ".p99", "p99 ms"), Column.ms("chat-" + rate + ".max", "max ms"),
                            Column.plain("chat-" + rate + ".lost", "lost", 0), Column.plain("chat-" + rate + ".reordered", "out of order", 0),
                            Column.plain("chat-" + rate + ".client-cpu", "harness CPU", 2), Column.plain("chat-" + rate + ".server-cpu", "server CPU", 2),
                            Column.plain("chat-" + rate + ".taken-in", "taken in", 0)),
                    "chat");
        }
        table(md, results, "4. Chat fan-out as fast as it goes",
                options.chatMembers() + " members, the sender keeping at most " + options.chatWindow()
                        + " messages not yet delivered to everyone, for " + options.chatFast().toMillis() + " ms.",
                List.of(Column.of("chat-fast.deliveries", "deliveries/s", 0), Column.of("chat-fast.msgs", "messages/s", 0),
                        Column.ms("chat-fast.p50", "p50 ms"), Column.ms("chat-fast.p99", "p99 ms"), Column.ms("chat-fast.max", "max ms"),
                        Column.plain("chat-fast.lost", "lost", 0), Column.plain("chat-fast.reordered", "out of order", 0),
                        Column.plain("chat-fast.client-cpu", "harness CPU", 2), Column.plain("chat-fast.server-cpu", "server CPU", 2), Column.percent("chat-fast.server-sys", "kernel %"),
                        Column.of("chat-fast.server-us", "server CPU µs/delivery", 2),
                        Column.plain("chat-fast.client-us", "harness CPU µs/delivery", 2)),
                "chat");
        table(md, results, "5. Idle connections", options.idleConnections() + " connections held open (opened "
                        + options.idleConcurrency() + " handshakes at a time"
                        + (options.idleDeflate() ? ", each offering `" + Conn.BROWSER_DEFLATE_OFFER + "` as browsers do" : ", no extension offered")
                        + (options.idleAddresses() > 0 ? ", from " + Math.min(options.idleAddresses(), 250) + " loopback addresses" : "")
                        + "); server memory growth per connection after a GC "
                        + "(`jcmd GC.run` for JVMs, `gc()` for node and Python on SIGUSR2); heap only for JVMs.",
                List.of(Column.kib("idle.rss-per-conn", "RSS KiB/conn"), Column.kib("idle.heap-per-conn", "heap KiB/conn"),
                        Column.ms("idle.handshake.p50", "handshake p50 ms"), Column.ms("idle.handshake.p99", "handshake p99 ms"),
                        new Column("idle.rss", "RSS MiB", v -> v / 1024 / 1024, 0, false),
                        Column.plain("idle.deflate", "deflate negotiated", 0)),
                "idle");

        Bench.Options.Api api = options.api();
        String pushSetup = api.subscribers() + " `/live` subscribers (this harness's NIO connections) of `" + api.channel()
                + "`, a channel of a namespace only the API publishes to; publications POSTed to `/api/publish` over HTTP/1.1 keep-alive "
                + "(`java.net.http.HttpClient`), each carrying `System.nanoTime()` at its send in `data.t`; latency = POST to delivery, "
                + "over every subscriber, in ms; answer = POST to its 200; errors = answers other than 200; lost = publications up to the "
                + "highest seq answered that a subscriber never got; out of order = a seq not above the one before it; deliveries per write = "
                + "deliveries / the server's socket writes for `/live` (`duplex_writes_total`, read before and after the phase): what group commit gathered. "
                + "Only on Duplex with servlets (the API is a servlet).";
        for (int rate : api.rates()) {
            table(md, results, "6. Push API at " + rate + " publications/s",
                    pushSetup + " One publisher at " + rate + " publications/s for " + api.paced().toMillis() + " ms (open loop: it does not "
                            + "wait for answers); publications/s = answered 200 / (last delivery - first send).",
                    List.of(Column.plain("api-" + rate + ".publishes", "publications/s", 0), Column.ms("api-" + rate + ".p50", "p50 ms"),
                            Column.ms("api-" + rate + ".p99", "p99 ms"), Column.ms("api-" + rate + ".max", "max ms"),
                            Column.ms("api-" + rate + ".answer-p99", "answer p99 ms"),
                            Column.plain("api-" + rate + ".errors", "errors", 0), Column.plain("api-" + rate + ".lost", "lost", 0),
                            Column.plain("api-" + rate + ".reordered", "out of order", 0),
                            Column.plain("api-" + rate + ".client-cpu", "harness CPU", 2), Column.plain("api-" + rate + ".server-cpu", "server CPU", 2),
                            Column.plain("api-" + rate + ".per-write", "deliveries per write", 1),
                            Column.plain("api-" + rate + ".server-us", "server CPU µs/publication", 0),
                            Column.plain("api-" + rate + ".client-us", "harness CPU µs/publication", 0)),
                    "api");
        }
        table(md, results, "6. Push API as fast as it goes",
                pushSetup + " " + api.publishers() + " publishers, each POSTing its next publication as soon as its last is answered"
                        + (api.window() > 0 ? ", while fewer than " + api.window() + " publications are not yet delivered to every subscriber" : "")
                        + ", for " + options.measure().toMillis() + " ms; publications/s = answered 200 per second; deliveries/s = publications received by "
                        + "subscribers per second.",
                List.of(Column.plain("api-fast.publishes", "publications/s", 0), Column.plain("api-fast.deliveries", "deliveries/s", 0),
                        Column.ms("api-fast.p50", "p50 ms"), Column.ms("api-fast.p99", "p99 ms"), Column.ms("api-fast.max", "max ms"),
                        Column.ms("api-fast.answer-p99", "answer p99 ms"),
                        Column.plain("api-fast.errors", "errors", 0), Column.plain("api-fast.lost", "lost", 0),
                        Column.plain("api-fast.reordered", "out of order", 0),
                        Column.plain("api-fast.client-cpu", "harness CPU", 2), Column.plain("api-fast.server-cpu", "server CPU", 2),
                        Column.percent("api-fast.server-sys", "kernel %"),
                        Column.plain("api-fast.per-write", "deliveries per write", 1),
                        Column.plain("api-fast.server-us", "server CPU µs/publication", 0),
                        Column.plain("api-fast.client-us", "harness CPU µs/publication", 0)),
                "api");

        md.append("\n## Targets (issue 16)\n\n| target | server | reached | met |\n|---|---|---|---|\n");
        for (String line : targets(results, options)) {
            md.append(line).append('\n');
        }
        md.append("\n## All runs\n\nThe figures each median above was taken from, in run order.\n\n");
        md.append("| server | figure | runs |\n|---|---|---|\n");
        for (Bench.Result r : results) {
            r.runs.forEach((key, values) -> {
                if (key.endsWith(".msgs") || key.endsWith(".deliveries") || key.endsWith(".p99") || key.endsWith("per-conn") || key.endsWith(".mbs") || key.endsWith(".server-us")
                        || key.endsWith(".client-us") || key.endsWith(".taken-in") || key.endsWith(".publishes")) {
                    md.append("| `").append(r.target.name).append("` | ").append(key).append(" | ")
                            .append(String.join(" / ", values.stream().map(Report::number).toList())).append(" |\n");
                }
            });
        }
        return md.toString();
    }

    private static void table(StringBuilder md, List<Bench.Result> results, String title, String what, List<Column> columns, String scenario) {
        md.append("\n## ").append(title).append("\n\n").append(what).append("\n\n| server |");
        for (Column c : columns) {
            md.append(' ').append(c.header()).append(" |");
        }
        md.append("\n|---|");
        md.append("---:|".repeat(columns.size()));
        md.append('\n');
        Bench.Result base = results.stream().filter(r -> r.target.name.equals(BASELINE)).findFirst().orElse(null);
        for (Bench.Result r : results) {
            md.append("| `").append(r.target.name).append("` |");
            String failure = r.skipped != null ? "skipped" : r.failures.getOrDefault(scenario, r.failures.get("start"));
            if (failure != null && r.median(columns.get(0).key()) == null) {
                md.append(" ").append(failure.replace('|', '/').replace('\n', ' ')).append(" |").append(" |".repeat(columns.size() - 1)).append('\n');
                continue;
            }
            for (Column c : columns) {
                Double v = r.median(c.key());
                md.append(' ');
                if (v == null) {
                    md.append("n/a");
                } else {
                    md.append(format(c.scale().applyAsDouble(v), c.decimals()));
                    Double b = base == null ? null : base.median(c.key());
                    if (c.ratio() && b != null && b != 0 && r != base) {
                        md.append(String.format(Locale.ROOT, " (×%.2f)", v / b));
                    }
                }
                md.append(" |");
            }
            md.append('\n');
        }
    }

    /** The figures issue 16 asks of Duplex, judged on this run against the peers in it. */
    static List<String> targets(List<Bench.Result> results, Bench.Options options) {
        List<String> lines = new ArrayList<>();
        Bench.Result ws = find(results, BASELINE);
        Bench.Result nodejsWebsocket = find(results, "nodejs-websocket");
        for (Bench.Result duplex : results) {
            if (!duplex.target.name.startsWith("duplex") || duplex.skipped != null) {
                continue;
            }
            String name = "`" + duplex.target.name + "`";
            lines.add(ratioLine("fan-out as fast as it goes ≥ 2.5 × ws", name, duplex, ws, results, "chat-fast.deliveries", 2.5, false));
            lines.add(ratioLine("fan-out as fast as it goes ≥ 1.2 × nodejs-websocket", name, duplex, nodejsWebsocket, results,
                    "chat-fast.deliveries", 1.2, false));
            double allLost = duplex.runs.entrySet().stream().filter(e -> e.getKey().startsWith("chat"))
                    .filter(e -> e.getKey().endsWith(".lost") || e.getKey().endsWith(".reordered"))
                    .flatMap(e -> e.getValue().stream()).mapToDouble(Double::doubleValue).sum();
            boolean chatRan = duplex.median("chat-fast.lost") != null;
            lines.add("| fan-out: zero lost, zero out of order (every run, every phase) | " + name + " | "
                    + (chatRan ? "lost+reordered over all runs: " + number(allLost) : "n/a") + " | "
                    + (chatRan ? allLost == 0 ? "yes" : "**no**" : "n/a") + " |");
            if (options.chatRates().contains(250)) {
                Double rate = duplex.median("chat-250.deliveries");
                Double p99 = duplex.median("chat-250.p99");
                Double takenIn = duplex.median("chat-250.taken-in");
                long offered = 250 * options.chatPaced().toMillis() / 1000;
                double wanted = 245_000.0 * options.chatMembers() / 1000;
                boolean met = rate != null && p99 != null && takenIn != null && takenIn >= offered && rate >= wanted && p99 <= 100_000;
                lines.add("| 250 msgs/s into " + options.chatMembers() + " members: all " + offered + " taken in, ≥ "
                        + number(wanted) + " deliveries/s, p99 ≤ 100 ms | " + name + " | "
                        + (rate == null ? "n/a" : number(takenIn == null ? 0 : takenIn) + " taken in, " + number(rate)
                        + " deliveries/s, p99 " + format(p99 / 1000, 1) + " ms") + " | "
                        + (rate == null ? "n/a" : met ? "yes" : "**no**") + " |");
            }
            lines.add(ratioLine("echo 64 × 32 B ≥ 1.3 × ws", name, duplex, ws, results, "echo-throughput.msgs", 1.3, false));
            lines.add(ratioLine("echo 64 × 16 KiB ≥ 1.0 × ws", name, duplex, ws, results, "echo-large.mbs", 1.0, false));
            Double p99 = duplex.median("echo-latency.p99");
            Double wsP99 = ws == null ? null : ws.median("echo-latency.p99");
            lines.add("| echo, 1 connection: p99 ≤ 1.2 × ws | " + name + " | "
                    + (p99 == null || wsP99 == null ? "n/a" : format(p99, 0) + " µs (×" + format(p99 / wsP99, 2) + ")") + " | "
                    + (p99 == null || wsP99 == null ? "n/a" : p99 <= 1.2 * wsP99 ? "yes" : "**no**") + " |");
            Double perConn = duplex.median("idle.rss-per-conn");
            if (perConn != null) {
                Double deflate = duplex.median("idle.deflate");
                lines.add("| " + options.idleConnections() + " idle connections opened as a browser does: ≤ 32 KiB RSS per connection | "
                        + name + " | " + format(perConn / 1024, 1) + " KiB RSS"
                        + (deflate == null ? "" : ", deflate negotiated on " + number(deflate)) + " | "
                        + (perConn <= 32 * 1024 ? "yes" : "**no**") + " |");
            }
        }
        return lines;
    }

    private static String ratioLine(String what, String name, Bench.Result duplex, Bench.Result ws, List<Bench.Result> results, String key,
                                    double factor, boolean aheadOfPeers) {
        Double v = duplex.median(key);
        Double b = ws == null ? null : ws.median(key);
        if (v == null || b == null || b == 0) {
            return "| " + what + " | " + name + " | n/a | n/a |";
        }
        boolean met = v >= factor * b;
        String behind = "";
        if (aheadOfPeers) {
            for (Bench.Result peer : results) {
                Double p = peer.median(key);
                if (!peer.target.name.startsWith("duplex") && p != null && p >= v) {
                    met = false;
                    behind += (behind.isEmpty() ? "; behind " : ", ") + "`" + peer.target.name + "`";
                }
            }
        }
        return "| " + what + " | " + name + " | " + number(v) + " (×" + format(v / b, 2) + ")" + behind + " | " + (met ? "yes" : "**no**") + " |";
    }

    private static Bench.Result find(List<Bench.Result> results, String name) {
        return results.stream().filter(r -> r.target.name.equals(name)).findFirst().orElse(null);
    }

    /**
     * Duplex must never lose or reorder a chat message or a publication, even in a smoke run; nor
     * answer a publication other than 200, nor close a subscriber.
     */
    static List<String> smokeViolations(List<Bench.Result> results) {
        List<String> violations = new ArrayList<>();
        for (Bench.Result r : results) {
            if (!r.target.name.startsWith("duplex")) {
                continue;
            }
            r.runs.forEach((key, values) -> {
                boolean mustBeZero = key.endsWith(".lost") || key.endsWith(".reordered")
                        || key.startsWith("api") && (key.endsWith(".errors") || key.equals("api.closed"));
                if (mustBeZero && values.stream().anyMatch(v -> v != 0)) {
                    violations.add(r.target.name + " " + key + " = " + values);
                }
            });
        }
        return violations;
    }

    static String summary(List<Bench.Result> results) {
        StringBuilder s = new StringBuilder("bench: medians\n");
        s.append(String.format(Locale.ROOT, "  %-18s %10s %10s %10s %12s %12s %10s %10s %12s%n", "server", "lat p99us", "echo/s", "large MB/s",
                "chat-fast/s", "chat lost", "KiB/conn", "api pub/s", "api p99 ms"));
        for (Bench.Result r : results) {
            s.append(String.format(Locale.ROOT, "  %-18s %10s %10s %10s %12s %12s %10s %10s %12s%n", r.target.name,
                    fmt(r.median("echo-latency.p99"), 1), fmt(r.median("echo-throughput.msgs"), 1), fmt(r.median("echo-large.mbs"), 1),
                    fmt(r.median("chat-fast.deliveries"), 1), fmt(r.median("chat-fast.lost"), 1), fmt(r.median("idle.rss-per-conn"), 1024),
                    fmt(r.median("api-fast.publishes"), 1), fmt(r.median("api-fast.p99"), 1000)));
        }
        return s.toString();
    }

    private static String fmt(Double v, double divide) {
        return v == null ? "-" : number(v / divide);
    }

    static String number(double v) {
        return Math.abs(v) >= 100 || v == Math.rint(v) ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    static String format(double v, int decimals) {
        return String.format(Locale.ROOT, "%,." + decimals + "f", v);
    }

    private static void row(StringBuilder md, String key, String value) {
        md.append("| ").append(key).append(" | ").append(value).append(" |\n");
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("?");
        } catch (Exception e) {
            return "?";
        }
    }

    private static String memory() {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                    .map(l -> String.format(Locale.ROOT, "%.1f GiB", Long.parseLong(l.replaceAll("\\D", "")) / 1024.0 / 1024.0))
                    .findFirst().orElse("?");
        } catch (Exception e) {
            return "?";
        }
    }

    private static String osRelease() {
        try {
            return Files.readAllLines(Path.of("/etc/os-release")).stream().filter(l -> l.startsWith("PRETTY_NAME="))
                    .map(l -> l.substring(12).replace("\"", "")).findFirst().orElse("?");
        } catch (Exception e) {
            return "?";
        }
    }

}
