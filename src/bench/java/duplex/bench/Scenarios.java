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
 * The six scenarios. Each returns one map of figures per run (metric key -> value); the report
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

    // ---------------------------------------------------------------- push API (scenario 6)

    /** One {@code /live} subscriber of the push API scenario: the seqs it received, judged gapless and increasing. */
    private static final class Subscriber {
        /** The channel's seq in the {@code subscribed} answer; -1 until it came. */
        volatile long base = -1;
        /** Bytes from the end of a pub's seq to its {@code data.t} value, from the epoch of the {@code subscribed} answer; -1: scan. */
        int seqToSent = -1;
        long next;
        long received;
        long reordered;
        volatile String refused;
        volatile boolean closed;
    }

    private static final byte[] PUB = "{\"type\":\"pub\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SUBSCRIBED = "{\"type\":\"subscribed\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SEQ = "\"seq\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SENT = "\"t\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EPOCH = "\"epoch\":\"".getBytes(StandardCharsets.US_ASCII);

    /** Whether {@code what} is in {@code b} at {@code at}. */
    private static boolean at(ByteBuffer b, int at, byte[] what) {
        if (at < b.position() || at + what.length > b.limit()) {
            return false;
        }
        for (int i = 0; i < what.length; i++) {
            if (b.get(at + i) != what[i]) {
                return false;
            }
        }
        return true;
    }

    /** The index of the first byte after the decimal digits at {@code at}. */
    private static int afterDigits(ByteBuffer b, int at) {
        int i = at;
        while (i < b.limit() && b.get(i) >= '0' && b.get(i) <= '9') {
            i++;
        }
        return i;
    }

    private static boolean startsWith(ByteBuffer b, byte[] prefix) {
        int at = b.position();
        if (b.limit() - at < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (b.get(at + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** Where {@code what} starts in {@code b} at or after {@code from}, or -1: a plain scan, no JSON parse. */
    private static int indexOf(ByteBuffer b, byte[] what, int from) {
        int last = b.limit() - what.length;
        outer:
        for (int i = from; i <= last; i++) {
            for (int j = 0; j < what.length; j++) {
                if (b.get(i + j) != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** The decimal digits at {@code at}, up to the first other byte. */
    private static long digits(ByteBuffer b, int at) {
        long value = 0;
        for (int i = at, end = b.limit(); i < end; i++) {
            byte c = b.get(i);
            if (c < '0' || c > '9') {
                break;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    /** The publishers' side: one HTTP client (HTTP/1.1 keep-alive, a small fixed pool), its answers counted. */
    private final class Publisher implements AutoCloseable {
        private final java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "bench-http");
            t.setDaemon(true);
            return t;
        });
        private final java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1) // no h2c upgrade offer: plain keep-alive
                .connectTimeout(Duration.ofSeconds(10))
                .executor(pool)
                .build();
        private final java.net.http.HttpRequest.Builder template = java.net.http.HttpRequest.newBuilder(server.http(server.target.apiPublishPath()))
                .header("Authorization", "Bearer " + Bench.API_KEY_SECRET)
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30));
        private final byte[] head = ("{\"channel\":\"" + options.api().channel() + "\",\"data\":{\"t\":").getBytes(StandardCharsets.US_ASCII);
        final LongAdder ok = new LongAdder();
        final LongAdder errors = new LongAdder();
        /** The highest seq a 200 answer gave out: every subscriber must get every publication up to it. */
        final AtomicLong maxSeq = new AtomicLong();
        final java.util.concurrent.atomic.AtomicReference<String> firstError = new java.util.concurrent.atomic.AtomicReference<>();
        /** POST to its answer, from any thread. */
        final org.HdrHistogram.Recorder answers = new org.HdrHistogram.Recorder(3);

        /** {@code {"channel":..,"data":{"t":<System.nanoTime() now>}}}: the send time travels in the publication. */
        private java.net.http.HttpRequest request(long sentNanos) {
            byte[] t = Long.toString(sentNanos).getBytes(StandardCharsets.US_ASCII);
            byte[] body = Arrays.copyOf(head, head.length + t.length + 2);
            System.arraycopy(t, 0, body, head.length, t.length);
            body[body.length - 2] = '}';
            body[body.length - 1] = '}';
            return template.copy().POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)).build();
        }

        /** One publication, waiting for its answer: true when it was answered 200. */
        boolean publish() {
            long sent = System.nanoTime();
            try {
                return answered(http.send(request(sent), java.net.http.HttpResponse.BodyHandlers.ofByteArray()), null, sent);
            } catch (java.io.IOException e) {
                return answered(null, e, sent);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return answered(null, e, sent);
            }
        }

        /** One publication, not waiting; the future completes once it is answered. */
        java.util.concurrent.CompletableFuture<?> publishAsync() {
            long sent = System.nanoTime();
            return http.sendAsync(request(sent), java.net.http.HttpResponse.BodyHandlers.ofByteArray())
                    .whenComplete((response, failure) -> answered(response, failure, sent));
        }

        private boolean answered(java.net.http.HttpResponse<byte[]> response, Throwable failure, long sent) {
            answers.recordValue(Math.max(0, System.nanoTime() - sent));
            if (failure == null && response.statusCode() == 200) {
                ByteBuffer body = ByteBuffer.wrap(response.body());
                int at = indexOf(body, SEQ, 0);
                if (at >= 0) {
                    maxSeq.accumulateAndGet(digits(body, at + SEQ.length), Math::max);
                }
                ok.increment();
                return true;
            }
            errors.increment();
            firstError.compareAndSet(null, failure != null ? failure.toString()
                    : "HTTP " + response.statusCode() + " " + new String(response.body(), StandardCharsets.UTF_8));
            return false;
        }

        @Override
        public void close() {
            pool.shutdownNow();
        }
    }

    private static final java.util.regex.Pattern LIVE_WRITES = java.util.regex.Pattern.compile(
            "(?m)^duplex_writes_total\\{endpoint=\"live\"\\} ([0-9.eE+]+)$");

    /**
     * The server's socket writes for {@code /live} so far ({@code duplex_writes_total}), or -1 when
     * it has no metrics: deliveries per write say how much group commit gathered.
     */
    private long liveWrites() {
        String path = server.target.metricsPath();
        if (path == null) {
            return -1;
        }
        try {
            var response = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(server.http(path)).timeout(Duration.ofSeconds(20)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            var m = LIVE_WRITES.matcher(response.body());
            return m.find() ? (long) Double.parseDouble(m.group(1)) : -1;
        } catch (java.io.IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static void perWrite(Map<String, Double> figures, String prefix, long delivered, long writesBefore, long writesAfter) {
        if (writesBefore >= 0 && writesAfter > writesBefore) {
            figures.put(prefix + ".per-write", delivered / (double) (writesAfter - writesBefore));
        }
    }

    /** Publications every subscriber should have had (up to the highest seq answered) and did not. */
    private static long apiLost(Subscriber[] subscribers, long maxSeq) {
        long lost = 0;
        for (Subscriber s : subscribers) {
            lost += Math.max(0, maxSeq - s.base - s.received);
        }
        return lost;
    }

    private static long apiReordered(Subscriber[] subscribers) {
        long reordered = 0;
        for (Subscriber s : subscribers) {
            reordered += s.reordered;
        }
        return reordered;
    }

    /**
     * Scenario 6, the push API: {@code bench.api.subscribers} {@code /live} connections subscribed
     * to one channel of a namespace only the API publishes to; backends' publications POSTed to
     * {@code /api/publish}, each carrying its send time, and timed from the POST to each
     * subscriber's delivery. After an unmeasured warm-up: each paced rate (one publisher, open
     * loop), then as fast as {@code bench.api.publishers} clients go.
     */
    List<Map<String, Double>> api() {
        Bench.Options.Api api = options.api();
        int members = api.subscribers();
        Latencies latencies = new Latencies(engine.threads());
        LongAdder deliveries = new LongAdder();
        AtomicLong lastDelivery = new AtomicLong();
        AtomicLong subscribedCount = new AtomicLong();
        AtomicLong closedCount = new AtomicLong();
        LongAdder scanned = new LongAdder();
        Subscriber[] state = new Subscriber[members];
        for (int i = 0; i < members; i++) {
            state[i] = new Subscriber();
        }
        byte[] subscribe = ("{\"type\":\"subscribe\",\"channel\":\"" + api.channel() + "\"}").getBytes(StandardCharsets.US_ASCII);
        // Where seq's value starts in a pub of this channel, as LiveMessages.pub writes it: checked
        // on every message (the "seq": before it), found by a scan when it is not there.
        int seqValueAt = ("{\"type\":\"pub\",\"channel\":\"" + api.channel() + "\",\"seq\":").length();
        class Receiver implements Conn.Handler {
            private final Subscriber sub;

            Receiver(Subscriber sub) {
                this.sub = sub;
            }

            @Override
            public void opened(Conn conn) {
                conn.sendText(subscribe);
            }

            @Override
            public void message(Conn conn, ByteBuffer payload, boolean text) {
                if (startsWith(payload, PUB)) {
                    long now = System.nanoTime();
                    // Two fields of a known layout, read where they are, not parsed: a scan only
                    // when the layout is not what it was (then still no JSON parse).
                    int seqValue = payload.position() + seqValueAt;
                    if (!at(payload, seqValue - SEQ.length, SEQ)) {
                        scanned.increment();
                        int found = indexOf(payload, SEQ, payload.position() + PUB.length);
                        seqValue = found < 0 ? -1 : found + SEQ.length;
                    }
                    int seqEnd = seqValue < 0 ? -1 : afterDigits(payload, seqValue);
                    int sentValue = seqEnd < 0 || sub.seqToSent < 0 ? -1 : seqEnd + sub.seqToSent;
                    if (sentValue >= 0 && !at(payload, sentValue - SENT.length, SENT)) {
                        sentValue = -1;
                    }
                    if (sentValue < 0 && seqEnd >= 0) {
                        scanned.increment();
                        int found = indexOf(payload, SENT, seqEnd);
                        sentValue = found < 0 ? -1 : found + SENT.length;
                    }
                    if (sentValue < 0) {
                        sub.refused = "a pub without seq or data.t: " + StandardCharsets.UTF_8.decode(payload);
                        return;
                    }
                    long seq = digits(payload, seqValue);
                    latencies.record(conn, now - digits(payload, sentValue));
                    if (seq == sub.next) {
                        sub.next++;
                        sub.received++;
                    } else if (seq > sub.next) {
                        sub.next = seq + 1; // a gap: counted as lost when the phase is judged
                        sub.received++;
                    } else {
                        sub.reordered++; // again, or older than one already delivered
                    }
                    deliveries.increment();
                    lastDelivery.lazySet(now);
                } else if (startsWith(payload, SUBSCRIBED) && sub.base < 0) {
                    int seqAt = indexOf(payload, SEQ, payload.position() + SUBSCRIBED.length);
                    long seq = seqAt < 0 ? 0 : digits(payload, seqAt + SEQ.length);
                    sub.next = seq + 1;
                    int epochAt = indexOf(payload, EPOCH, payload.position());
                    int epochEnd = epochAt < 0 ? -1 : indexOf(payload, new byte[] {'"'}, epochAt + EPOCH.length);
                    if (epochEnd >= 0) {
                        // In a pub: seq's digits, then ,"epoch":"<epoch>","data":{"t":
                        sub.seqToSent = (",\"epoch\":\"\",\"data\":{\"t\":").length() + epochEnd - epochAt - EPOCH.length;
                    }
                    sub.base = seq;
                    subscribedCount.incrementAndGet();
                } else {
                    // An error (no such namespace, a limit), or anything else: the scenario stops on it.
                    sub.refused = StandardCharsets.UTF_8.decode(payload).toString();
                }
            }

            @Override
            public void closed(Conn conn, int code) {
                sub.closed = true;
                closedCount.incrementAndGet();
            }
        }
        List<Conn> conns = engine.open(i -> server.uri(server.target.livePath()), members, 32, i -> new Receiver(state[i]), Duration.ofSeconds(120));
        List<Map<String, Double>> runs = new ArrayList<>();
        try (Publisher publisher = new Publisher()) {
            // Every subscriber's subscribed answer before the first publication.
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (subscribedCount.get() < members) {
                for (Subscriber s : state) {
                    if (s.refused != null) {
                        throw new IllegalStateException("a subscriber was refused: " + s.refused);
                    }
                }
                if (closedCount.get() > 0 || System.nanoTime() > deadline) {
                    throw new IllegalStateException(subscribedCount.get() + " of " + members + " subscribed to " + api.channel()
                            + " (" + closedCount.get() + " closed)");
                }
                Engine.sleepMillis(20);
            }
            long base = Arrays.stream(state).mapToLong(s -> s.base).max().orElse(0);
            publisher.maxSeq.accumulateAndGet(base, Math::max);
            System.out.println("    api: " + members + " subscribers of " + api.channel() + " at seq " + base);
            if (!api.warmup().isZero()) {
                apiFast(new LinkedHashMap<>(), "api-warm-up", publisher, state, deliveries, latencies, api.warmup());
            }
            for (int run = 0; run < options.runs(); run++) {
                Map<String, Double> figures = new LinkedHashMap<>();
                for (int rate : api.rates()) {
                    apiPaced(figures, "api-" + rate, publisher, rate, state, deliveries, latencies, lastDelivery, api.paced());
                }
                apiFast(figures, "api-fast", publisher, state, deliveries, latencies, options.measure());
                figures.put("api.closed", (double) closedCount.get());
                runs.add(figures);
            }
            String refused = Arrays.stream(state).map(s -> s.refused).filter(java.util.Objects::nonNull).findFirst().orElse(null);
            if (refused != null) {
                throw new IllegalStateException("a subscriber got something else than its publications: " + refused);
            }
            if (scanned.sum() > 0) {
                System.out.println("    api: " + scanned.sum() + " lookups of seq or data.t in " + deliveries.sum()
                        + " publications received needed a scan (a pub laid out otherwise than LiveMessages.pub writes it)");
            }
            if (publisher.firstError.get() != null) {
                System.out.println("    api: " + publisher.errors.sum() + " publications not answered 200, the first: " + publisher.firstError.get());
            }
        } finally {
            Engine.closeAll(conns, Duration.ofSeconds(10));
        }
        return runs;
    }

    /**
     * As fast as it goes: {@code bench.api.publishers} clients, each POSTing its next publication
     * as soon as its last one is answered, while fewer than {@code bench.api.window} publications
     * are not yet delivered to every subscriber (so that the server's fan-out, not a backlog
     * growing in its outboxes, sets the rate). Counted over the window, then drained.
     */
    private void apiFast(Map<String, Double> figures, String prefix, Publisher publisher, Subscriber[] state, LongAdder deliveries,
                         Latencies latencies, Duration length) {
        int members = state.length;
        long lostBefore = apiLost(state, publisher.maxSeq.get());
        long reorderedBefore = apiReordered(state);
        long deliveredBefore = deliveries.sum();
        long okBefore = publisher.ok.sum();
        long errorsBefore = publisher.errors.sum();
        int window = options.api().window();
        long writesBefore = liveWrites();
        System.out.println("    " + prefix + ": " + options.api().publishers() + " publishers for " + length.toMillis() + " ms from "
                + java.time.Instant.now());
        latencies.interval();
        publisher.answers.reset();
        CpuWindow cpu = new CpuWindow();
        long start = System.nanoTime();
        long end = start + length.toNanos();
        // The window as permits: a publisher takes one per POST; one thread gives them back as
        // publications reach every subscriber (deliveries / subscribers), and a failed POST gives
        // its own back. One poll a millisecond in all, not one per publisher.
        java.util.concurrent.Semaphore permits = new java.util.concurrent.Semaphore(window > 0 ? window : Integer.MAX_VALUE / 2);
        Thread[] threads = new Thread[options.api().publishers()];
        for (int i = 0; i < threads.length; i++) {
            threads[i] = new Thread(() -> {
                try {
                    while (System.nanoTime() < end) {
                        if (!permits.tryAcquire(Math.max(1, end - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS)) {
                            return;
                        }
                        if (!publisher.publish()) {
                            permits.release(); // nothing to deliver: its place is free again
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "bench-publisher-" + i);
            threads[i].setDaemon(true);
            threads[i].start();
        }
        long released = 0;
        while (System.nanoTime() < end) {
            LockSupport.parkNanos(1_000_000);
            if (window > 0) {
                long done = (deliveries.sum() - deliveredBefore) / members;
                if (done > released) {
                    permits.release((int) (done - released));
                    released = done;
                }
            }
        }
        for (Thread thread : threads) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        long stop = System.nanoTime();
        long delivered = deliveries.sum() - deliveredBefore;
        long ok = publisher.ok.sum() - okBefore;
        Histogram h = latencies.interval();
        Histogram answers = publisher.answers.getIntervalHistogram();
        cpu.into(figures, prefix, stop);
        perUnit(figures, prefix, ok, stop - start);
        double seconds = (stop - start) / 1e9;
        figures.put(prefix + ".publishes", ok / seconds);
        figures.put(prefix + ".deliveries", delivered / seconds);
        putLatencies(figures, prefix, h);
        figures.put(prefix + ".answer-p50", answers.getValueAtPercentile(50) / 1000.0);
        figures.put(prefix + ".answer-p99", answers.getValueAtPercentile(99) / 1000.0);
        figures.put(prefix + ".errors", (double) (publisher.errors.sum() - errorsBefore));
        awaitDelivered(() -> deliveries.sum() - deliveredBefore, ok * members, options.chatDrain());
        latencies.interval();
        figures.put(prefix + ".lost", (double) (apiLost(state, publisher.maxSeq.get()) - lostBefore));
        figures.put(prefix + ".reordered", (double) (apiReordered(state) - reorderedBefore));
        perWrite(figures, prefix, deliveries.sum() - deliveredBefore, writesBefore, liveWrites());
    }

    /** One publisher at a fixed rate (open loop: it does not wait for answers) for {@code length}, then drained. */
    private void apiPaced(Map<String, Double> figures, String prefix, Publisher publisher, int rate, Subscriber[] state,
                          LongAdder deliveries, Latencies latencies, AtomicLong lastDelivery, Duration length) {
        int members = state.length;
        long lostBefore = apiLost(state, publisher.maxSeq.get());
        long reorderedBefore = apiReordered(state);
        long deliveredBefore = deliveries.sum();
        long okBefore = publisher.ok.sum();
        long errorsBefore = publisher.errors.sum();
        long writesBefore = liveWrites();
        latencies.interval();
        publisher.answers.reset();
        CpuWindow cpu = new CpuWindow();
        long count = Math.max(1, rate * length.toMillis() / 1000);
        System.out.println("    " + prefix + ": " + rate + " publications/s for " + length.toMillis() + " ms from " + java.time.Instant.now());
        long start = System.nanoTime();
        long interval = 1_000_000_000L / rate;
        List<java.util.concurrent.CompletableFuture<?>> answers = new ArrayList<>((int) count);
        for (long i = 0; i < count; i++) {
            long due = start + i * interval;
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(Math.min(wait, 200_000));
            }
            answers.add(publisher.publishAsync());
        }
        try {
            java.util.concurrent.CompletableFuture.allOf(answers.toArray(java.util.concurrent.CompletableFuture[]::new))
                    .get(60, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // counted as errors by the publisher
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        long ok = publisher.ok.sum() - okBefore;
        awaitDelivered(() -> deliveries.sum() - deliveredBefore, ok * members, options.chatDrain());
        long end = Math.max(lastDelivery.get(), start + 1);
        Histogram h = latencies.interval();
        Histogram answered = publisher.answers.getIntervalHistogram();
        figures.put(prefix + ".offered", (double) rate);
        figures.put(prefix + ".publishes", ok / ((end - start) / 1e9));
        figures.put(prefix + ".deliveries", (deliveries.sum() - deliveredBefore) / ((end - start) / 1e9));
        putLatencies(figures, prefix, h);
        figures.put(prefix + ".answer-p50", answered.getValueAtPercentile(50) / 1000.0);
        figures.put(prefix + ".answer-p99", answered.getValueAtPercentile(99) / 1000.0);
        figures.put(prefix + ".errors", (double) (publisher.errors.sum() - errorsBefore));
        figures.put(prefix + ".lost", (double) (apiLost(state, publisher.maxSeq.get()) - lostBefore));
        figures.put(prefix + ".reordered", (double) (apiReordered(state) - reorderedBefore));
        cpu.into(figures, prefix, end);
        perUnit(figures, prefix, ok, end - start);
        perWrite(figures, prefix, deliveries.sum() - deliveredBefore, writesBefore, liveWrites());
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
