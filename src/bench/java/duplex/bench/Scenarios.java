package duplex.bench;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The five scenarios. Each returns one map of figures per run (metric key -> value); the report
 * takes the median over runs. Latencies are in microseconds, sizes in bytes, rates per second.
 */
final class Scenarios {

    private final Engine engine;
    private final Bench.Options options;
    private final Target.Running server;

    Scenarios(Engine engine, Bench.Options options, Target.Running server) {
        this.engine = engine;
        this.options = options;
        this.server = server;
    }

    /** Latencies recorded per IO thread (uncontended), merged when read. */
    private static final class Latencies {
        /** One per IO thread, each written only by its thread: no atomic increments per value. */
        private final SingleWriterRecorder[] recorders;

        Latencies(int threads) {
            recorders = new SingleWriterRecorder[threads];
            for (int i = 0; i < threads; i++) {
                recorders[i] = new SingleWriterRecorder(3);
            }
        }

        void record(Conn conn, long nanos) {
            recorders[conn.loop.index].recordValue(Math.max(0, nanos));
        }

        /** Everything recorded since the previous call. */
        Histogram interval() {
            Histogram sum = new Histogram(3);
            for (SingleWriterRecorder recorder : recorders) {
                sum.add(recorder.getIntervalHistogram());
            }
            return sum;
        }
    }

    /** Measures CPU of the client threads and of the server process over one window. */
    private final class CpuWindow {
        private final long start = System.nanoTime();
        private final long client = Bench.jvmProcessCpuNanos();
        private final long server = ProcStats.cpuNanos(Scenarios.this.server.pid());
        private final long serverSystem = ProcStats.systemNanos(Scenarios.this.server.pid());

        void into(Map<String, Double> figures, String prefix, long end) {
            double wall = end - start;
            figures.put(prefix + ".client-cpu", (Bench.jvmProcessCpuNanos() - client) / wall);
            long serverNow = ProcStats.cpuNanos(Scenarios.this.server.pid());
            long systemNow = ProcStats.systemNanos(Scenarios.this.server.pid());
            if (server >= 0 && serverNow >= 0) {
                figures.put(prefix + ".server-cpu", (serverNow - server) / wall);
                if (serverNow > server && systemNow >= serverSystem) {
                    // The kernel's share of the server's CPU: system calls, thread wake-ups, TCP.
                    figures.put(prefix + ".server-sys", (double) (systemNow - serverSystem) / (serverNow - server));
                }
            }
        }
    }

    // ---------------------------------------------------------------- echo (scenarios 1 to 3)

    /**
     * Closed loop: every connection sends one message, waits for it to come back, sends the next.
     * One warm-up window, then {@code runs} measured windows on the same connections.
     */
    List<Map<String, Double>> echo(String prefix, int connections, int size) {
        byte[] payload = new byte[size];
        for (int i = 0; i < size; i++) {
            payload[i] = (byte) ('a' + i % 26);
        }
        Latencies latencies = new Latencies(engine.threads());
        LongAdder messages = new LongAdder();
        LongAdder wrong = new LongAdder();
        AtomicLong closed = new AtomicLong();
        class Loop implements Conn.Handler {
            volatile boolean running = true;

            @Override
            public void opened(Conn conn) {
                conn.sentNanos = System.nanoTime();
                conn.sendText(payload);
            }

            @Override
            public void message(Conn conn, ByteBuffer message, boolean text) {
                long now = System.nanoTime();
                latencies.record(conn, now - conn.sentNanos);
                messages.increment();
                if (message.remaining() != size || !text) {
                    wrong.increment();
                }
                if (running) {
                    conn.sentNanos = now;
                    conn.sendText(payload);
                }
            }

            @Override
            public void closed(Conn conn, int code) {
                closed.incrementAndGet();
            }
        }
        Loop loop = new Loop();
        List<Conn> conns = engine.open(server.uri(server.target.echoPath()), connections, 64, i -> loop, Duration.ofSeconds(60));
        List<Map<String, Double>> runs = new ArrayList<>();
        try {
            sleep(options.warmup());
            latencies.interval();
            messages.sumThenReset();
            for (int run = 0; run < options.runs(); run++) {
                CpuWindow cpu = new CpuWindow();
                long start = System.nanoTime();
                sleep(options.measure());
                long end = System.nanoTime();
                long count = messages.sumThenReset();
                Histogram h = latencies.interval();
                Map<String, Double> figures = new LinkedHashMap<>();
                double seconds = (end - start) / 1e9;
                figures.put(prefix + ".msgs", count / seconds);
                figures.put(prefix + ".mbs", count * (double) size / seconds / 1e6);
                putLatencies(figures, prefix, h);
                cpu.into(figures, prefix, end);
                perUnit(figures, prefix, count, end - start);
                runs.add(figures);
                if (closed.get() > 0) {
                    throw new IllegalStateException(closed.get() + " echo connections closed by the server");
                }
            }
            if (wrong.sum() > 0) {
                throw new IllegalStateException(wrong.sum() + " echoes did not match what was sent");
            }
        } finally {
            loop.running = false;
            Engine.closeAll(conns, Duration.ofSeconds(5));
        }
        return runs;
    }

    // ---------------------------------------------------------------- chat fan-out (scenario 4)

    /** One member: what it has received, judged against the sender's sequence. */
    private static final class Member {
        long next = 1;
        long received;
        long reordered;
        long others;
        volatile boolean closed;
    }

    /** Marker the sender embeds in its text: ~SEQ:NANOS~ (send time on this machine's clock). */
    private static int marker(ByteBuffer payload) {
        for (int i = payload.position(), end = payload.limit(); i < end; i++) {
            if (payload.get(i) == '~') {
                return i;
            }
        }
        return -1;
    }

    List<Map<String, Double>> chat(Target.Chat format) {
        int members = options.chatMembers();
        Latencies latencies = new Latencies(engine.threads());
        LongAdder deliveries = new LongAdder();
        LongAdder other = new LongAdder();
        AtomicLong lastDelivery = new AtomicLong();
        AtomicLong highestSeq = new AtomicLong();
        AtomicLong closedMembers = new AtomicLong();
        Member[] state = new Member[members];
        for (int i = 0; i < members; i++) {
            state[i] = new Member();
        }
        class Receiver implements Conn.Handler {
            private final Member member;

            Receiver(Member member) {
                this.member = member;
            }

            @Override
            public void message(Conn conn, ByteBuffer payload, boolean text) {
                int at = marker(payload);
                if (at < 0) {
                    member.others++;
                    other.increment();
                    return;
                }
                long now = System.nanoTime();
                long seq = 0;
                int i = at + 1;
                byte b;
                while ((b = payload.get(i++)) != ':') {
                    seq = seq * 10 + (b - '0');
                }
                long sent = 0;
                while ((b = payload.get(i++)) != '~') {
                    sent = sent * 10 + (b - '0');
                }
                latencies.record(conn, now - sent);
                member.received++;
                if (seq > highestSeq.get()) {
                    highestSeq.accumulateAndGet(seq, Math::max); // the server took it in and broadcast it
                }
                if (seq == member.next) {
                    member.next++;
                } else if (seq > member.next) {
                    member.next = seq + 1; // a gap: counted as lost when the phase is judged
                } else {
                    member.reordered++;
                }
                deliveries.increment();
                lastDelivery.lazySet(now);
            }

            @Override
            public void closed(Conn conn, int code) {
                member.closed = true;
                closedMembers.incrementAndGet();
            }
        }
        List<Conn> conns = engine.open(i -> server.uri(server.target.chatPath(i)), members, 32, i -> new Receiver(state[i]), Duration.ofSeconds(120));
        List<Map<String, Double>> runs = new ArrayList<>();
        try {
            // Joining announces itself to everyone on some servers: let that storm pass first.
            awaitQuiet(() -> other.sum() + deliveries.sum(), Duration.ofMillis(1000), Duration.ofSeconds(120));
            Conn sender = conns.get(0);
            long[] sent = {0};
            // Unmeasured, as the echo scenarios' warm-up window: the first phase would otherwise
            // measure the JIT compiling the fan-out path (a JVM's first second), not the server.
            if (!options.chatWarmup().isZero()) {
                fast(new LinkedHashMap<>(), format, sender, sent, state, deliveries, latencies, options.chatWarmup());
                for (int rate : options.chatRates()) {
                    paced(new LinkedHashMap<>(), "warm-up", format, sender, rate, sent, state, deliveries, latencies, lastDelivery,
                            highestSeq, options.chatWarmup());
                }
            }
            for (int run = 0; run < options.runs(); run++) {
                Map<String, Double> figures = new LinkedHashMap<>();
                for (int rate : options.chatRates()) {
                    paced(figures, "chat-" + rate, format, sender, rate, sent, state, deliveries, latencies, lastDelivery, highestSeq,
                            options.chatPaced());
                }
                fast(figures, format, sender, sent, state, deliveries, latencies, options.chatFast());
                figures.put("chat.closed", (double) closedMembers.get());
                runs.add(figures);
            }
        } finally {
            Engine.closeAll(conns, Duration.ofSeconds(10));
        }
        return runs;
    }

    private static long lostSoFar(Member[] state, long sent) {
        long lost = 0;
        for (Member member : state) {
            lost += sent - member.received + member.reordered;
        }
        return lost;
    }

    private static long reorderedSoFar(Member[] state) {
        long reordered = 0;
        for (Member member : state) {
            reordered += member.reordered;
        }
        return reordered;
    }

    private static byte[] say(Target.Chat format, long seq) {
        String mark = "~" + seq + ":" + System.nanoTime() + "~";
        String text = format == Target.Chat.DUPLEX_JSON ? "{\"type\":\"say\",\"text\":\"" + mark + "\"}" : mark;
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** The sender at a fixed rate (open loop) for the paced duration, then everything drained. */
    private void paced(Map<String, Double> figures, String prefix, Target.Chat format, Conn sender, int rate, long[] sent,
                       Member[] state, LongAdder deliveries, Latencies latencies, AtomicLong lastDelivery, AtomicLong highestSeq,
                       Duration length) {
        int members = state.length;
        long firstSeq = sent[0] + 1;
        long lostBefore = lostSoFar(state, sent[0]);
        long reorderedBefore = reorderedSoFar(state);
        long deliveredBefore = deliveries.sum();
        latencies.interval();
        CpuWindow cpu = new CpuWindow();
        long count = Math.max(1, rate * length.toMillis() / 1000);
        System.out.println("    " + prefix + ": " + rate + " messages/s for " + length.toMillis() + " ms from " + java.time.Instant.now());
        long start = System.nanoTime();
        long interval = 1_000_000_000L / rate;
        for (long i = 0; i < count; i++) {
            long due = start + i * interval;
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(Math.min(wait, 200_000));
            }
            sender.sendText(say(format, ++sent[0]));
        }
        // Taken in: how many of the offered messages the server had read and broadcast (some member
        // has it) within 100 ms of the last offer. A server that does not read the sender's socket
        // while it broadcasts leaves the rest in the socket's buffers.
        long offered = System.nanoTime();
        while (System.nanoTime() - offered < 100_000_000L && highestSeq.get() < sent[0]) {
            LockSupport.parkNanos(1_000_000);
        }
        long takenIn = Math.max(0, highestSeq.get() - firstSeq + 1);
        long expected = count * members;
        awaitDelivered(() -> deliveries.sum() - deliveredBefore, expected, options.chatDrain());
        long delivered = deliveries.sum() - deliveredBefore;
        long end = Math.max(lastDelivery.get(), start + 1);
        Histogram h = latencies.interval();
        figures.put(prefix + ".offered", (double) rate * members);
        figures.put(prefix + ".taken-in", (double) takenIn);
        figures.put(prefix + ".messages", (double) count);
        figures.put(prefix + ".deliveries", delivered / ((end - start) / 1e9));
        putLatencies(figures, prefix, h);
        figures.put(prefix + ".lost", (double) (lostSoFar(state, sent[0]) - lostBefore));
        figures.put(prefix + ".reordered", (double) (reorderedSoFar(state) - reorderedBefore));
        cpu.into(figures, prefix, end);
    }

    /**
     * As fast as it goes: the sender keeps a window of messages not yet delivered to every
     * member (closed loop on the fan-out), so the server's own speed sets the rate and nothing
     * piles up without bound. Deliveries are counted over the fixed window, then drained.
     */
    private void fast(Map<String, Double> figures, Target.Chat format, Conn sender, long[] sent,
                      Member[] state, LongAdder deliveries, Latencies latencies, Duration length) {
        int members = state.length;
        long lostBefore = lostSoFar(state, sent[0]);
        long reorderedBefore = reorderedSoFar(state);
        long deliveredBefore = deliveries.sum();
        long sentBefore = sent[0];
        long window = (long) options.chatWindow() * members;
        latencies.interval();
        CpuWindow cpu = new CpuWindow();
        long start = System.nanoTime();
        long end = start + length.toNanos();
        long lastProgress = start;
        long lastDelivered = 0;
        String stalled = null;
        while (System.nanoTime() < end) {
            long delivered = deliveries.sum() - deliveredBefore;
            long inFlight = (sent[0] - sentBefore) * members - delivered;
            if (delivered != lastDelivered) {
                lastDelivered = delivered;
                lastProgress = System.nanoTime();
            } else if (System.nanoTime() - lastProgress > 3_000_000_000L) {
                stalled = "no delivery for 3 s with " + inFlight + " in flight";
                break;
            }
            if (inFlight < window) {
                sender.sendText(say(format, ++sent[0]));
            } else {
                // A millisecond is short against a window of messages to a thousand members, and
                // keeps this thread's polling out of the harness's CPU (it was 50,000 wake-ups/s).
                LockSupport.parkNanos(1_000_000);
            }
        }
        long stop = System.nanoTime();
        long delivered = deliveries.sum() - deliveredBefore;
        Histogram h = latencies.interval();
        cpu.into(figures, "chat-fast", stop);
        perUnit(figures, "chat-fast", deliveries.sum() - deliveredBefore, stop - start);
        figures.put("chat-fast.deliveries", delivered / ((stop - start) / 1e9));
        figures.put("chat-fast.msgs", (sent[0] - sentBefore) / ((stop - start) / 1e9));
        putLatencies(figures, "chat-fast", h);
        awaitDelivered(() -> deliveries.sum() - deliveredBefore, (sent[0] - sentBefore) * members, options.chatDrain());
        latencies.interval();
        figures.put("chat-fast.lost", (double) (lostSoFar(state, sent[0]) - lostBefore));
        figures.put("chat-fast.reordered", (double) (reorderedSoFar(state) - reorderedBefore));
        if (stalled != null) {
            System.out.println("    chat as fast as it goes: " + stalled);
        }
    }

    private static void awaitDelivered(java.util.function.LongSupplier delivered, long expected, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        long last = -1;
        long lastChange = System.nanoTime();
        while (System.nanoTime() < deadline) {
            long now = delivered.getAsLong();
            if (now >= expected) {
                return;
            }
            if (now != last) {
                last = now;
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > 30_000_000_000L) {
                // Nothing for 30 s: the rest is lost. (A server working through a backlog can go
                // quiet for several seconds, Tornado does, so a shorter silence is not proof.)
                return;
            }
            Engine.sleepMillis(5);
        }
    }

    private static void awaitQuiet(java.util.function.LongSupplier counter, Duration quiet, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        long last = counter.getAsLong();
        long since = System.nanoTime();
        while (System.nanoTime() < deadline) {
            Engine.sleepMillis(50);
            long now = counter.getAsLong();
            if (now != last) {
                last = now;
                since = System.nanoTime();
            } else if (System.nanoTime() - since >= quiet.toNanos()) {
                return;
            }
        }
    }

    // ---------------------------------------------------------------- idle connections (scenario 5)

    /**
     * Idle connection {@code i}: the browser's permessage-deflate offer (unless bench.idle.deflate=false),
     * from loopback address 127.0.0.(2 + i mod bench.idle.addresses), so that no address holds more
     * than a few dozen of them, as real clients would not.
     */
    private Conn.Opening idleOpening(int i) {
        String offer = options.idleDeflate() ? Conn.BROWSER_DEFLATE_OFFER : null;
        if (options.idleAddresses() <= 0) {
            return new Conn.Opening(offer, null);
        }
        int host = 2 + i % Math.min(options.idleAddresses(), 250);
        try {
            return new Conn.Opening(offer, java.net.InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) host}));
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    List<Map<String, Double>> idle() {
        int count = options.idleConnections();
        boolean jvm = server.target.jvm();
        List<Map<String, Double>> runs = new ArrayList<>();
        Conn.Handler quiet = (conn, payload, text) -> {
        };
        for (int run = 0; run < options.runs(); run++) {
            long heapBefore = ProcStats.gcAndHeapUsed(server.pid(), jvm);
            Engine.sleepMillis(500);
            long rssBefore = ProcStats.rssBytes(server.pid());
            java.net.URI echo = server.uri(server.target.echoPath());
            List<Conn> conns = engine.open(i -> echo, count, options.idleConcurrency(), i -> quiet, Duration.ofSeconds(180), this::idleOpening);
            try {
                Histogram handshakes = new Histogram(3);
                for (Conn conn : conns) {
                    handshakes.recordValue(conn.openNanos - conn.connectStartNanos);
                }
                Engine.sleepMillis(options.idleSettle().toMillis());
                long heapAfter = ProcStats.gcAndHeapUsed(server.pid(), jvm);
                if (jvm && run == 0) {
                    // What the connections hold, for whoever wants to make them cheaper.
                    String histogram = ProcStats.run(List.of(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                            String.valueOf(server.pid()), "GC.class_histogram"));
                    try {
                        java.nio.file.Files.writeString(server.log.resolveSibling(server.target.name + "-idle-histogram.txt"),
                                histogram.lines().limit(60).collect(java.util.stream.Collectors.joining("\n")));
                    } catch (java.io.IOException e) {
                        System.out.println("    could not save the class histogram: " + e);
                    }
                }
                Engine.sleepMillis(500);
                long rssAfter = ProcStats.rssBytes(server.pid());
                long open = conns.stream().filter(Conn::isOpen).count();
                if (open != count) {
                    throw new IllegalStateException((count - open) + " of " + count + " idle connections were closed by the server");
                }
                Map<String, Double> figures = new LinkedHashMap<>();
                figures.put("idle.rss-per-conn", (rssAfter - rssBefore) / (double) count);
                if (heapBefore >= 0 && heapAfter >= 0) {
                    figures.put("idle.heap-per-conn", (heapAfter - heapBefore) / (double) count);
                }
                figures.put("idle.rss", (double) rssAfter);
                figures.put("idle.rss-before", (double) rssBefore);
                if (heapAfter >= 0) {
                    figures.put("idle.heap", (double) heapAfter);
                }
                figures.put("idle.deflate", (double) conns.stream().filter(c -> c.negotiatedExtensions != null
                        && c.negotiatedExtensions.startsWith("permessage-deflate")).count());
                figures.put("idle.handshake.p50", handshakes.getValueAtPercentile(50) / 1000.0);
                figures.put("idle.handshake.p99", handshakes.getValueAtPercentile(99) / 1000.0);
                runs.add(figures);
            } finally {
                Engine.closeAll(conns, Duration.ofSeconds(30));
            }
            // Let the server forget the closed connections before the next baseline.
            Engine.sleepMillis(options.idleSettle().toMillis());
        }
        return runs;
    }

    /**
     * Server CPU per message (per delivery for chat), in microseconds: a figure that depends far
     * less on what else the shared machine is doing than the rates do.
     */
    /** CPU per message (echo) or per delivery (chat), of the server and of this harness. */
    private static void perUnit(Map<String, Double> figures, String prefix, long count, long wallNanos) {
        Double cores = figures.get(prefix + ".server-cpu");
        if (cores != null && count > 0) {
            figures.put(prefix + ".server-us", cores * wallNanos / 1000.0 / count);
        }
        Double harness = figures.get(prefix + ".client-cpu");
        if (harness != null && count > 0) {
            figures.put(prefix + ".client-us", harness * wallNanos / 1000.0 / count);
        }
    }

    private static void putLatencies(Map<String, Double> figures, String prefix, Histogram h) {
        figures.put(prefix + ".p50", h.getValueAtPercentile(50) / 1000.0);
        figures.put(prefix + ".p99", h.getValueAtPercentile(99) / 1000.0);
        figures.put(prefix + ".p999", h.getValueAtPercentile(99.9) / 1000.0);
        figures.put(prefix + ".max", h.getMaxValue() / 1000.0);
        figures.put(prefix + ".count", (double) h.getTotalCount());
    }

    private static void sleep(Duration duration) {
        Engine.sleepMillis(duration.toMillis());
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
