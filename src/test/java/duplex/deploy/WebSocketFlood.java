package duplex.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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

    enum State { CONNECTING, HANDSHAKING, OPEN, ECHO_SENT, ECHOED, CLOSED }

    private final class Connection extends NioWebSocket {
        State state = State.CONNECTING;
        String expected;
        int closeCode;

        Connection(int id, SocketChannel channel) {
            super(id, channel, selector, address, path, 1024);
        }

        @Override
        void received() {
            if (state == State.HANDSHAKING && upgraded()) {
                state = State.OPEN;
                inFlight--;
                open++;
            }
            if (state != State.HANDSHAKING) {
                readFrames();
            }
        }

        @Override
        boolean bufferFull() {
            fail("more than " + in.capacity() + " bytes unparsed");
            return false;
        }

        @Override
        void frameTooLong(int header, long length) {
            if (length > 0xFFFF) {
                fail("unexpected frame over 64 KiB");
            }
            // a shorter one is read until the buffer is full, which fails
        }

        @Override
        void ended() {
            if (state != State.CLOSED) {
                if (state == State.CONNECTING || state == State.HANDSHAKING) {
                    fail("connection closed during the handshake");
                    return;
                }
                closeCode = 1006;
                closed();
            }
        }

        @Override
        void fail(String why) {
            failures.add("connection " + id + ": " + why);
            closed();
        }

        @Override
        void handshaking() {
            state = State.HANDSHAKING;
        }

        private void readFrames() {
            for (Frame incoming; (incoming = nextFrame()) != null; ) {
                switch (incoming.opcode()) {
                    case 0x1 -> {
                        String text = new String(incoming.payload(), StandardCharsets.UTF_8);
                        if (state == State.ECHO_SENT && text.equals(expected)) {
                            state = State.ECHOED;
                        } else {
                            fail("unexpected text \"" + text + "\" in state " + state);
                        }
                    }
                    case 0x9 -> send(frame(0xA, incoming.payload())); // the server's heartbeat ping: answer it
                    case 0xA -> { } // an unsolicited pong is allowed and ignored
                    case 0x8 -> {
                        closeCode = incoming.closeCode();
                        closed();
                        return;
                    }
                    default -> fail("unexpected opcode " + incoming.opcode());
                }
            }
        }

        private void closed() {
            if (state == State.OPEN || state == State.ECHO_SENT || state == State.ECHOED) {
                open--;
            }
            state = State.CLOSED;
            try {
                channel.close();
            } catch (IOException ignored) {
                // The connection is over either way.
            }
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
            c.send(NioWebSocket.frame(0x1, c.expected.getBytes(StandardCharsets.UTF_8)));
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
            Connection c = new Connection(connections.size(), NioWebSocket.nonBlockingChannel());
            connections.add(c);
            inFlight++;
            c.connect();
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
        NioWebSocket.serveReady(selector);
        return true;
    }

    private void failIfAnyFailed() {
        if (!failures.isEmpty()) {
            throw new AssertionError(failures.size() + " connection(s) failed" + failureSummary());
        }
    }

    private String failureSummary() {
        return failures.isEmpty() ? "" : "; first failures: " + failures.subList(0, Math.min(5, failures.size()));
    }
}
