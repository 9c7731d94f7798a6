package duplex.deploy;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A crowd of WebSocket clients on one I/O thread of its own, for storms: many connections from
 * many loopback addresses (127.77.x.y, so the per-address limits see many clients), each of which
 * reads everything the server sends (so none of them is a slow consumer), answers pings, and
 * counts what it got. The test thread asks for things ({@link #open}, {@link #closeCleanly},
 * {@link #reset}, {@link #say}) and waits for states; everything touching a connection runs on
 * the crowd's thread, so the connections need no locks.
 */
final class Crowd implements AutoCloseable {

    enum State { CONNECTING, HANDSHAKING, OPEN, WELCOMED, CLOSING, CLOSED }

    private static final Pattern SEQ = Pattern.compile("\"seq\":(\\d+)");
    private static final Pattern TYPE = Pattern.compile("^\\{\"type\":\"([a-z]+)\"");

    /** One client. Touched only on the crowd's thread. */
    final class Client extends NioWebSocket {
        State state = State.CONNECTING;
        int closeCode;
        String welcome;
        long frames;
        long presence;
        long errors;
        /** Quotes received (on /quotes). */
        long quotes;
        /** The fragments of a text message still arriving (Tomcat splits a large one), or null. */
        java.io.ByteArrayOutputStream fragments;
        /** Seqs of the chat messages received, in order of arrival. */
        final List<Long> seqs = new ArrayList<>();

        Client(int id, String path, SocketChannel channel) {
            super(id, channel, selector, server, path, 16 * 1024);
        }

        @Override
        void handshaking() {
            state = State.HANDSHAKING;
        }

        @Override
        void received() {
            if (state == State.HANDSHAKING && upgraded()) {
                state = State.OPEN;
            }
            if (state != State.HANDSHAKING && state != State.CLOSED) {
                readFrames();
            }
        }

        @Override
        boolean bufferFull() {
            ByteBuffer bigger = ByteBuffer.allocate(in.capacity() * 2);
            in.flip();
            bigger.put(in);
            in = bigger;
            return true;
        }

        @Override
        void frameTooLong(int header, long length) {
            // a large welcome: make room for all of it
            ByteBuffer bigger = ByteBuffer.allocate((int) (header + length) * 2);
            bigger.put(in);
            bigger.flip();
            in = bigger;
        }

        @Override
        void ended() {
            end(null);
        }

        @Override
        void broken(IOException e) {
            end(e.toString());
        }

        @Override
        void fail(String why) {
            failures.add("client " + id + ": " + why);
        }

        @Override
        void send(byte[] bytes) {
            if (channel.isOpen()) {
                super.send(bytes);
            }
        }

        private void readFrames() {
            for (Frame incoming; state != State.CLOSED && (incoming = nextFrame()) != null; ) {
                byte[] payload = incoming.payload();
                switch (incoming.opcode()) {
                    case 0x1, 0x0 -> {
                        if (incoming.opcode() == 0x1 && incoming.fin()) {
                            text(new String(payload, StandardCharsets.UTF_8));
                        } else {
                            if (incoming.opcode() == 0x1) {
                                fragments = new java.io.ByteArrayOutputStream();
                            }
                            fragments.writeBytes(payload);
                            if (incoming.fin()) {
                                text(fragments.toString(StandardCharsets.UTF_8));
                                fragments = null;
                            }
                        }
                    }
                    case 0x9 -> send(frame(0xA, payload));
                    case 0xA -> { }
                    case 0x8 -> {
                        closeCode = incoming.closeCode();
                        if (state != State.CLOSING) {
                            // Nobody in a storm is to be closed by the server (a slow consumer, say).
                            failures.add("client " + id + ": closed by the server with " + closeCode + " "
                                    + new String(payload, Math.min(2, payload.length), Math.max(0, payload.length - 2), StandardCharsets.UTF_8));
                            send(frame(0x8, new byte[]{payload.length >= 2 ? payload[0] : 0x03, payload.length >= 2 ? payload[1] : (byte) 0xE8}));
                        }
                        state = State.CLOSED;
                        closeChannel();
                        return;
                    }
                    default -> fail("unexpected opcode " + incoming.opcode());
                }
            }
        }

        private void text(String text) {
            frames++;
            Matcher type = TYPE.matcher(text);
            String kind = type.find() ? type.group(1) : "?";
            switch (kind) {
                case "welcome" -> {
                    welcome = text;
                    state = State.WELCOMED;
                }
                case "message" -> {
                    Matcher seq = SEQ.matcher(text);
                    if (seq.find()) {
                        seqs.add(Long.parseLong(seq.group(1)));
                    }
                }
                case "joined", "left", "renamed", "presence" -> presence++;
                case "quote" -> quotes++;
                case "error" -> {
                    errors++;
                    fail("error from the server: " + text);
                }
                default -> { }
            }
        }

        private void end(String error) {
            if (state == State.CLOSED) {
                return;
            }
            boolean expected = state == State.CLOSING;
            state = State.CLOSED;
            closeCode = 1006;
            closeChannel();
            if (!expected) {
                failures.add("client " + id + ": connection ended unexpectedly" + (error == null ? "" : ": " + error));
            }
        }

        private void closeChannel() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // over either way
            }
        }
    }

    private final InetSocketAddress server;
    private final Selector selector;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final List<Client> clients = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private final Thread loop;
    private volatile boolean running = true;

    Crowd(InetSocketAddress server) {
        this.server = server;
        try {
            this.selector = Selector.open();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.loop = new Thread(this::loop, "crowd-io");
        this.loop.setDaemon(true);
        this.loop.start();
    }

    /** The loopback address of the {@code index}th client host: 127.77.0.1, 127.77.0.2 ... */
    static InetAddress host(int index) {
        try {
            return InetAddress.getByAddress(new byte[]{127, 77, (byte) (index / 250), (byte) (1 + index % 250)});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Starts {@code count} connections, the {@code i}th to {@code path.apply(i)} from host
     * {@code i / perHost}; returns their ids. Handshakes all start at once, as in a reconnect storm.
     */
    List<Integer> open(int count, int perHost, int firstHost, Function<Integer, String> path) {
        return call(() -> {
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                SocketChannel channel = NioWebSocket.nonBlockingChannel();
                channel.bind(new InetSocketAddress(host(firstHost + i / perHost), 0));
                Client c = new Client(clients.size(), path.apply(i), channel);
                clients.add(c);
                ids.add(c.id);
                c.connect();
            }
            return ids;
        });
    }

    /** Waits until every one of {@code ids} satisfies the condition; fails with a summary past the timeout. */
    void await(List<Integer> ids, Predicate<Client> condition, Duration timeout, String what) {
        try {
            Awaitility.await(what).atMost(timeout).pollInterval(Duration.ofMillis(20)).pollInSameThread()
                    .until(() -> call(() -> ids.stream().map(clients::get).allMatch(condition)));
        } catch (ConditionTimeoutException e) {
            long done = call(() -> ids.stream().map(clients::get).filter(condition).count());
            List<String> failed = failures();
            throw new AssertionError("timed out after " + timeout + ": " + done + " of " + ids.size() + " " + what
                    + (failed.isEmpty() ? "" : "; first failures: " + failed.subList(0, Math.min(5, failed.size()))), e);
        }
    }

    /** Sends a close frame (1000) on each, all in one go; the server's answer is awaited with {@link #await}. */
    void closeCleanly(List<Integer> ids) {
        run(() -> ids.forEach(id -> {
            Client c = clients.get(id);
            if (c.state != State.CLOSED) {
                c.state = State.CLOSING;
                c.send(NioWebSocket.frame(0x8, new byte[]{0x03, (byte) 0xE8}));
            }
        }));
    }

    /** Ends each connection with a TCP reset (SO_LINGER 0), as a network that drops or a killed process. */
    void reset(List<Integer> ids) {
        run(() -> ids.forEach(id -> {
            Client c = clients.get(id);
            try {
                if (c.channel.isOpen()) {
                    c.channel.setOption(StandardSocketOptions.SO_LINGER, 0);
                }
            } catch (IOException ignored) {
                // already gone: the same outcome
            }
            c.state = State.CLOSED;
            c.closeCode = 1006;
            c.closeChannel();
        }));
    }

    /** Sends the same text message from each of these clients. */
    void sendText(List<Integer> ids, String text) {
        byte[] frame = NioWebSocket.frame(0x1, text.getBytes(StandardCharsets.UTF_8));
        run(() -> ids.forEach(id -> clients.get(id).send(frame)));
    }

    /** Sends a chat message from one client. */
    void say(int id, String text) {
        run(() -> clients.get(id).send(NioWebSocket.frame(0x1, ("{\"type\":\"say\",\"text\":\"" + text + "\"}").getBytes(StandardCharsets.UTF_8))));
    }

    /** Reads something about one client on the crowd's thread. */
    <T> T inspect(int id, Function<Client, T> reader) {
        return call(() -> reader.apply(clients.get(id)));
    }

    List<String> failures() {
        return call(() -> List.copyOf(failures));
    }

    /** Presence frames (joined, left, renamed or presence) received by the whole crowd so far. */
    long presenceFrames() {
        return call(() -> clients.stream().mapToLong(c -> c.presence).sum());
    }

    /** Fails with the first few problems the crowd saw, if it saw any. */
    void assertNoFailures() {
        List<String> all = failures();
        if (!all.isEmpty()) {
            throw new AssertionError(all.size() + " problem(s) in the crowd, first: " + all.subList(0, Math.min(5, all.size())));
        }
    }

    @Override
    public void close() {
        run(() -> clients.forEach(Client::closeChannel));
        running = false;
        selector.wakeup();
        try {
            loop.join(10_000);
            selector.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    private void run(Runnable task) {
        call(() -> {
            task.run();
            return null;
        });
    }

    private <T> T call(Callable<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        tasks.add(() -> {
            try {
                result.complete(task.call());
            } catch (Exception | AssertionError e) {
                result.completeExceptionally(e);
            }
        });
        selector.wakeup();
        try {
            return result.get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (ExecutionException e) {
            throw new AssertionError(e.getCause().toString(), e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("the crowd's thread did not answer within 60 s", e);
        }
    }

    private void loop() {
        while (running) {
            try {
                selector.select(100);
            } catch (IOException e) {
                failures.add("select: " + e);
                return;
            }
            for (Runnable task; (task = tasks.poll()) != null; ) {
                task.run();
            }
            NioWebSocket.serveReady(selector);
        }
    }
}
