package duplex.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

/**
 * Thousands of WebSocket connections from one thread: the opening handshake and the few frames a
 * capacity test needs (masked text out; text, ping and close in), over non-blocking sockets and
 * one selector. A JDK {@code HttpClient} WebSocket costs far more per connection (threads and
 * buffers), which would measure the client rather than the server.
 *
 * <p>Each connection checks the server's {@code Sec-WebSocket-Accept}, so a connection counts as
 * open only after a real upgrade. Not thread-safe: one test thread drives it.
 */
final class WebSocketFlood implements AutoCloseable {

    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    enum State { CONNECTING, HANDSHAKING, OPEN, ECHO_SENT, ECHOED, CLOSED }

    private static final class Connection {
        final int id;
        final SocketChannel channel;
        final String key = Base64.getEncoder().encodeToString(randomBytes(16));
        ByteBuffer in = ByteBuffer.allocate(1024);
        ByteBuffer out = ByteBuffer.allocate(0);
        State state = State.CONNECTING;
        String expected;
        int closeCode;

        Connection(int id, SocketChannel channel) {
            this.id = id;
            this.channel = channel;
        }
    }

    private final InetSocketAddress address;
    private final String path;
    private final Selector selector;
    private final List<Connection> connections = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private int inFlight;
    private int open;

    WebSocketFlood(InetSocketAddress address, String path) {
        this.address = address;
        this.path = path;
        try {
            this.selector = Selector.open();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Opens {@code count} connections, with at most {@code maxHandshaking} handshakes under way at
     * once (as a crowd of real clients arrives: not all in the same millisecond), and keeps them
     * all open. Fails if they are not all open within the timeout.
     */
    Duration openAll(int count, int maxHandshaking, Duration timeout) {
        long began = System.nanoTime();
        int opened = openUpTo(count, maxHandshaking, timeout);
        if (opened < count) {
            throw new AssertionError(opened + " of " + count + " connections open after " + timeout
                    + " (" + inFlight + " still connecting or handshaking)" + failureSummary());
        }
        return Duration.ofNanos(System.nanoTime() - began);
    }

    /**
     * Tries to open {@code count} connections for at most {@code timeout}, and returns how many
     * are open then: for a server that stops accepting, the connections past its limit wait
     * unanswered in its accept queue.
     */
    int openUpTo(int count, int maxHandshaking, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (open < count) {
            while (connections.size() < count && inFlight < maxHandshaking) {
                connect();
            }
            if (!step(deadline)) {
                break;
            }
            failIfAnyFailed();
        }
        return open;
    }

    /** Sends a distinct text on every open connection and waits until each has come back. */
    Duration echoAll(Duration timeout) {
        long began = System.nanoTime();
        for (Connection c : connections) {
            c.expected = "flood " + c.id;
            c.state = State.ECHO_SENT;
            send(c, frame(0x1, c.expected.getBytes(StandardCharsets.UTF_8)));
        }
        long deadline = began + timeout.toNanos();
        waitUntil(() -> connections.stream().allMatch(c -> c.state == State.ECHOED), deadline,
                () -> connections.stream().filter(c -> c.state == State.ECHOED).count() + " of " + connections.size() + " echoes back");
        return Duration.ofNanos(System.nanoTime() - began);
    }

    /** Waits for every connection to be closed by the server; returns how many saw each close code (1006: no close frame). */
    Map<Integer, Integer> awaitServerCloses(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        waitUntil(() -> connections.stream().allMatch(c -> c.state == State.CLOSED), deadline,
                () -> connections.stream().filter(c -> c.state == State.CLOSED).count() + " of " + connections.size() + " closed by the server");
        Map<Integer, Integer> codes = new TreeMap<>();
        connections.forEach(c -> codes.merge(c.closeCode, 1, Integer::sum));
        return codes;
    }

    int openCount() {
        return open;
    }

    /** Closes every socket (without a close handshake: the server sees the peer vanish, 1006). */
    @Override
    public void close() {
        for (Connection c : connections) {
            try {
                c.channel.close();
            } catch (IOException ignored) {
                // Closing: nothing to do about a socket that will not close.
            }
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // As above.
        }
    }

    private void waitUntil(BooleanSupplier done, long deadline, java.util.function.Supplier<String> progress) {
        while (!done.getAsBoolean()) {
            if (!step(deadline)) {
                throw new AssertionError("timed out: " + progress.get() + failureSummary());
            }
            failIfAnyFailed();
        }
    }

    private void connect() {
        try {
            SocketChannel channel = SocketChannel.open();
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            Connection c = new Connection(connections.size(), channel);
            connections.add(c);
            inFlight++;
            if (channel.connect(address)) {
                handshake(c);
            } else {
                channel.register(selector, SelectionKey.OP_CONNECT, c);
            }
        } catch (IOException e) {
            throw new AssertionError("could not open connection " + connections.size() + ": " + e, e);
        }
    }

    /** One round of I/O; false once the deadline has passed. */
    private boolean step(long deadline) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            return false;
        }
        try {
            selector.select(Math.max(1, Math.min(100, left / 1_000_000)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (SelectionKey key : selector.selectedKeys()) {
            Connection c = (Connection) key.attachment();
            try {
                if (!key.isValid()) {
                    continue;
                }
                if (key.isConnectable()) {
                    c.channel.finishConnect();
                    handshake(c);
                }
                if (key.isValid() && key.isWritable()) {
                    flush(c);
                }
                if (key.isValid() && key.isReadable()) {
                    read(c);
                }
            } catch (IOException e) {
                fail(c, e.toString());
            }
        }
        selector.selectedKeys().clear();
        return true;
    }

    private void handshake(Connection c) throws IOException {
        c.state = State.HANDSHAKING;
        String request = "GET " + path + " HTTP/1.1\r\n"
                + "Host: " + address.getHostString() + ":" + address.getPort() + "\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + c.key + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n";
        c.channel.register(selector, SelectionKey.OP_READ, c);
        send(c, request.getBytes(StandardCharsets.US_ASCII));
    }

    private void read(Connection c) throws IOException {
        if (!c.in.hasRemaining()) {
            fail(c, "more than " + c.in.capacity() + " bytes unparsed");
            return;
        }
        int n = c.channel.read(c.in);
        if (n < 0) {
            if (c.state != State.CLOSED) {
                if (c.state == State.CONNECTING || c.state == State.HANDSHAKING) {
                    fail(c, "connection closed during the handshake");
                    return;
                }
                c.closeCode = 1006;
                closed(c);
            }
            return;
        }
        c.in.flip();
        if (c.state == State.HANDSHAKING) {
            readHandshake(c);
        }
        if (c.state != State.HANDSHAKING) {
            readFrames(c);
        }
        c.in.compact();
    }

    private void readHandshake(Connection c) {
        String text = StandardCharsets.ISO_8859_1.decode(c.in.duplicate()).toString();
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            return;
        }
        String head = text.substring(0, end);
        String accept = accept(c.key);
        if (!head.startsWith("HTTP/1.1 101") || !head.contains(accept)) {
            fail(c, "handshake refused: " + head.lines().findFirst().orElse(""));
            return;
        }
        c.in.position(c.in.position() + end + 4);
        c.state = State.OPEN;
        inFlight--;
        open++;
    }

    private void readFrames(Connection c) throws IOException {
        while (c.in.remaining() >= 2) {
            int start = c.in.position();
            int opcode = c.in.get(start) & 0x0F;
            int length = c.in.get(start + 1) & 0x7F;
            int header = 2;
            if (length == 126) {
                if (c.in.remaining() < 4) {
                    return;
                }
                length = c.in.getShort(start + 2) & 0xFFFF;
                header = 4;
            } else if (length == 127) {
                fail(c, "unexpected frame over 64 KiB");
                return;
            }
            if (c.in.remaining() < header + length) {
                return; // the rest of the frame is still on its way
            }
            byte[] payload = new byte[length];
            c.in.position(start + header);
            c.in.get(payload);
            switch (opcode) {
                case 0x1 -> {
                    String text = new String(payload, StandardCharsets.UTF_8);
                    if (c.state == State.ECHO_SENT && text.equals(c.expected)) {
                        c.state = State.ECHOED;
                    } else {
                        fail(c, "unexpected text \"" + text + "\" in state " + c.state);
                    }
                }
                case 0x9 -> send(c, frame(0xA, payload)); // the server's heartbeat ping: answer it
                case 0xA -> { } // an unsolicited pong is allowed and ignored
                case 0x8 -> {
                    c.closeCode = length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
                    closed(c);
                    return;
                }
                default -> fail(c, "unexpected opcode " + opcode);
            }
        }
    }

    private void closed(Connection c) {
        if (c.state == State.OPEN || c.state == State.ECHO_SENT || c.state == State.ECHOED) {
            open--;
        }
        c.state = State.CLOSED;
        try {
            c.channel.close();
        } catch (IOException ignored) {
            // The connection is over either way.
        }
    }

    private void send(Connection c, byte[] bytes) {
        ByteBuffer joined = ByteBuffer.allocate(c.out.remaining() + bytes.length);
        joined.put(c.out).put(bytes).flip();
        c.out = joined;
        try {
            flush(c);
        } catch (IOException e) {
            fail(c, e.toString());
        }
    }

    private void flush(Connection c) throws IOException {
        c.channel.write(c.out);
        SelectionKey key = c.channel.keyFor(selector);
        if (key != null && key.isValid()) {
            key.interestOps(c.out.hasRemaining() ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        }
    }

    private void fail(Connection c, String why) {
        failures.add("connection " + c.id + ": " + why);
        closed(c);
    }

    private void failIfAnyFailed() {
        if (!failures.isEmpty()) {
            throw new AssertionError(failures.size() + " connection(s) failed" + failureSummary());
        }
    }

    private String failureSummary() {
        return failures.isEmpty() ? "" : "; first failures: " + failures.subList(0, Math.min(5, failures.size()));
    }

    /** A client frame: FIN, the opcode, the mask bit and a random mask, as RFC 6455 requires of clients. */
    static byte[] frame(int opcode, byte[] payload) {
        if (payload.length > 125) {
            throw new IllegalArgumentException("small frames only");
        }
        byte[] mask = randomBytes(4);
        byte[] frame = new byte[6 + payload.length];
        frame[0] = (byte) (0x80 | opcode);
        frame[1] = (byte) (0x80 | payload.length);
        System.arraycopy(mask, 0, frame, 2, 4);
        for (int i = 0; i < payload.length; i++) {
            frame[6 + i] = (byte) (payload[i] ^ mask[i % 4]);
        }
        return frame;
    }

    static String accept(String key) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((key + GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        ThreadLocalRandom.current().nextBytes(bytes);
        return bytes;
    }
}
