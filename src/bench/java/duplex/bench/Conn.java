package duplex.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One client WebSocket connection over a non-blocking SocketChannel, framed by hand (RFC 6455):
 * the HTTP upgrade, masked client frames, unmasked server frames, fragments, ping/pong and close.
 * Reading and callbacks happen on the connection's {@link IoLoop}; {@link #send} may be called
 * from any thread.
 */
final class Conn {

    /** What a scenario does with a connection's events; runs on the IO thread. */
    interface Handler {
        default void opened(Conn conn) {
        }

        /** A whole text or binary message; {@code payload} is valid only during the call. */
        void message(Conn conn, ByteBuffer payload, boolean text);

        default void closed(Conn conn, int code) {
        }

        default void failed(Conn conn, Throwable error) {
        }
    }

    /**
     * How a connection is opened: the {@code Sec-WebSocket-Extensions} offer (null: none, as most
     * load generators; {@link #BROWSER_DEFLATE_OFFER}: as Chromium and Firefox) and the local
     * address to connect from (null: the system's choice).
     */
    record Opening(String extensions, java.net.InetAddress localAddress) {
        static final Opening PLAIN = new Opening(null, null);
    }

    static final String BROWSER_DEFLATE_OFFER = "permessage-deflate; client_max_window_bits";

    private enum State { CONNECTING, HANDSHAKE, OPEN, CLOSING, CLOSED }

    private static final int OP_CONT = 0x0, OP_TEXT = 0x1, OP_BINARY = 0x2, OP_CLOSE = 0x8, OP_PING = 0x9, OP_PONG = 0xA;

    final IoLoop loop;
    final int id;
    private final URI uri;
    private final Handler handler;
    private final SocketChannel channel;
    private SelectionKey key;
    private volatile State state = State.CONNECTING;

    private ByteBuffer in = ByteBuffer.allocate(16 * 1024);
    /** Bytes waiting to be written, in write mode (position = end of data). Guarded by this. */
    private ByteBuffer out = ByteBuffer.allocate(4 * 1024);
    private boolean writeInterest;
    private ByteBuffer fragments;
    private boolean fragmentsText;
    private int maskSeed = ThreadLocalRandom.current().nextInt() | 1;

    private final Opening opening;
    /** The server's {@code Sec-WebSocket-Extensions} answer, null when it negotiated none. */
    volatile String negotiatedExtensions;
    final long connectStartNanos;
    volatile long openNanos;
    /** Scenario state, owned by the handler. */
    Object attachment;
    /** Closed-loop scenarios: when the message now awaited was sent. */
    long sentNanos;

    Conn(IoLoop loop, int id, URI uri, Handler handler) throws IOException {
        this(loop, id, uri, handler, Opening.PLAIN);
    }

    Conn(IoLoop loop, int id, URI uri, Handler handler, Opening opening) throws IOException {
        this.opening = opening;
        this.loop = loop;
        this.id = id;
        this.uri = uri;
        this.handler = handler;
        this.channel = SocketChannel.open();
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        if (opening.localAddress() != null) {
            channel.bind(new InetSocketAddress(opening.localAddress(), 0));
        }
        this.connectStartNanos = System.nanoTime();
        int port = uri.getPort() > 0 ? uri.getPort() : 80;
        boolean connected = channel.connect(new InetSocketAddress(uri.getHost(), port));
        loop.execute(() -> register(connected));
    }

    boolean isOpen() {
        return state == State.OPEN;
    }

    boolean isClosed() {
        return state == State.CLOSED;
    }

    private void register(boolean connected) {
        try {
            key = channel.register(loop.selector, connected ? SelectionKey.OP_READ : SelectionKey.OP_CONNECT, this);
            if (connected) {
                sendHandshake();
            }
        } catch (IOException | RuntimeException e) {
            fail(e);
        }
    }

    void ready(SelectionKey key) {
        try {
            if (!key.isValid()) {
                return;
            }
            if (key.isConnectable()) {
                channel.finishConnect();
                key.interestOps(SelectionKey.OP_READ);
                sendHandshake();
                return;
            }
            if (key.isWritable()) {
                flush();
            }
            if (key.isValid() && key.isReadable()) {
                read();
            }
        } catch (IOException | RuntimeException e) {
            fail(e);
        }
    }

    private void sendHandshake() throws IOException {
        byte[] nonce = new byte[16];
        ThreadLocalRandom.current().nextBytes(nonce);
        String path = uri.getRawPath() + (uri.getRawQuery() != null ? "?" + uri.getRawQuery() : "");
        String request = "GET " + path + " HTTP/1.1\r\n"
                + "Host: " + uri.getHost() + ":" + uri.getPort() + "\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\n"
                + (opening.extensions() == null ? "" : "Sec-WebSocket-Extensions: " + opening.extensions() + "\r\n")
                + "Sec-WebSocket-Version: 13\r\n\r\n";
        state = State.HANDSHAKE;
        synchronized (this) {
            out = ensure(out, request.length());
            out.put(request.getBytes(StandardCharsets.ISO_8859_1));
            flushLocked();
        }
    }

    private void read() throws IOException {
        int n = channel.read(in);
        if (n < 0) {
            closedNow(1006);
            return;
        }
        in.flip();
        if (state == State.HANDSHAKE && !readHandshake()) {
            in.compact();
            return;
        }
        while (state == State.OPEN || state == State.CLOSING) {
            if (!readFrame()) {
                break;
            }
        }
        if (in.hasRemaining() || state != State.CLOSED) {
            in.compact();
        }
    }

    private boolean readHandshake() throws IOException {
        int end = -1;
        for (int i = in.position(); i + 3 < in.limit(); i++) {
            if (in.get(i) == '\r' && in.get(i + 1) == '\n' && in.get(i + 2) == '\r' && in.get(i + 3) == '\n') {
                end = i + 4;
                break;
            }
        }
        if (end < 0) {
            if (in.limit() == in.capacity()) {
                throw new IOException("handshake response too large");
            }
            return false;
        }
        byte[] head = new byte[end - in.position()];
        in.get(head);
        String response = new String(head, StandardCharsets.ISO_8859_1);
        if (!response.startsWith("HTTP/1.1 101")) {
            throw new IOException("handshake refused: " + response.lines().findFirst().orElse(""));
        }
        negotiatedExtensions = response.lines()
                .filter(line -> line.regionMatches(true, 0, "Sec-WebSocket-Extensions:", 0, 25))
                .map(line -> line.substring(25).trim()).findFirst().orElse(null);
        openNanos = System.nanoTime();
        state = State.OPEN;
        handler.opened(this);
        return true;
    }

    /** Parses one frame if it is all there; returns false when more bytes are needed. */
    private boolean readFrame() throws IOException {
        int start = in.position();
        int available = in.remaining();
        if (available < 2) {
            return false;
        }
        int b0 = in.get(start) & 0xFF;
        int b1 = in.get(start + 1) & 0xFF;
        boolean fin = (b0 & 0x80) != 0;
        int opcode = b0 & 0x0F;
        boolean masked = (b1 & 0x80) != 0;
        long length = b1 & 0x7F;
        int header = 2;
        if (length == 126) {
            if (available < 4) {
                return false;
            }
            length = in.getShort(start + 2) & 0xFFFF;
            header = 4;
        } else if (length == 127) {
            if (available < 10) {
                return false;
            }
            length = in.getLong(start + 2);
            header = 10;
        }
        if (masked) {
            header += 4;
        }
        if (length > 64L * 1024 * 1024) {
            throw new IOException("frame too large: " + length);
        }
        int total = header + (int) length;
        if (available < total) {
            if (total > in.capacity()) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(total, in.capacity() * 2));
                bigger.put(in);
                bigger.flip();
                in = bigger;
            }
            return false;
        }
        ByteBuffer payload = in.slice(start + header, (int) length);
        if (masked) {
            int maskAt = start + header - 4;
            for (int i = 0; i < length; i++) {
                payload.put(i, (byte) (payload.get(i) ^ in.get(maskAt + (i & 3))));
            }
        }
        in.position(start + total);
        switch (opcode) {
            case OP_TEXT, OP_BINARY -> {
                if (fin) {
                    handler.message(this, payload, opcode == OP_TEXT);
                } else {
                    fragments = ByteBuffer.allocate(Math.max(64 * 1024, (int) length * 2));
                    fragments.put(payload);
                    fragmentsText = opcode == OP_TEXT;
                }
            }
            case OP_CONT -> {
                if (fragments == null) {
                    throw new IOException("continuation without a start");
                }
                fragments = ensure(fragments, payload.remaining());
                fragments.put(payload);
                if (fin) {
                    ByteBuffer whole = fragments.flip();
                    fragments = null;
                    handler.message(this, whole, fragmentsText);
                }
            }
            case OP_PING -> sendFrame(OP_PONG, payload);
            case OP_PONG -> {
            }
            case OP_CLOSE -> {
                int code = length >= 2 ? payload.getShort(0) & 0xFFFF : 1005;
                if (state == State.OPEN) {
                    ByteBuffer echo = ByteBuffer.allocate(2).putShort(0, (short) code);
                    sendFrame(OP_CLOSE, echo);
                }
                closedNow(code);
                return false;
            }
            default -> throw new IOException("unknown opcode " + opcode);
        }
        return true;
    }

    void sendText(byte[] payload) {
        sendFrame(OP_TEXT, ByteBuffer.wrap(payload));
    }

    void sendText(ByteBuffer payload) {
        sendFrame(OP_TEXT, payload);
    }

    /** Starts the closing handshake; the server's close frame (or EOF) completes it. */
    void close() {
        if (state == State.OPEN) {
            state = State.CLOSING;
            sendFrame(OP_CLOSE, ByteBuffer.allocate(2).putShort(0, (short) 1000));
        } else if (state != State.CLOSING) {
            loop.execute(() -> closedNow(1006));
        }
    }

    /** Drops the connection without a closing handshake. */
    void abort() {
        loop.execute(() -> closedNow(1006));
    }

    private void sendFrame(int opcode, ByteBuffer payload) {
        int length = payload.remaining();
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            out = ensure(out, length + 14);
            out.put((byte) (0x80 | opcode));
            if (length < 126) {
                out.put((byte) (0x80 | length));
            } else if (length < 65536) {
                out.put((byte) (0x80 | 126));
                out.putShort((short) length);
            } else {
                out.put((byte) (0x80 | 127));
                out.putLong(length);
            }
            // A fresh, unpredictable-enough mask per frame (xorshift), as RFC 6455 asks of clients.
            int mask = maskSeed;
            mask ^= mask << 13;
            mask ^= mask >>> 17;
            mask ^= mask << 5;
            maskSeed = mask;
            out.putInt(mask);
            int at = payload.position();
            int i = 0;
            for (; i + 4 <= length; i += 4) {
                out.putInt(payload.getInt(at + i) ^ mask);
            }
            for (; i < length; i++) {
                out.put((byte) (payload.get(at + i) ^ (mask >>> (24 - 8 * (i & 3)))));
            }
            try {
                flushLocked();
            } catch (IOException e) {
                loop.execute(() -> fail(e));
            }
        }
    }

    private void flush() throws IOException {
        synchronized (this) {
            flushLocked();
        }
    }

    private void flushLocked() throws IOException {
        if (out.position() == 0 || key == null && state == State.CONNECTING) {
            return;
        }
        out.flip();
        channel.write(out);
        out.compact();
        boolean pending = out.position() > 0;
        if (pending != writeInterest && key != null && key.isValid()) {
            writeInterest = pending;
            key.interestOps(pending ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
            if (!loop.inLoop()) {
                loop.selector.wakeup();
            }
        }
    }

    private static ByteBuffer ensure(ByteBuffer buffer, int more) {
        if (buffer.remaining() >= more) {
            return buffer;
        }
        ByteBuffer bigger = ByteBuffer.allocate(Math.max(buffer.capacity() * 2, buffer.position() + more + 1024));
        buffer.flip();
        bigger.put(buffer);
        return bigger;
    }

    private void fail(Throwable error) {
        if (state == State.CLOSED) {
            return;
        }
        State was = state;
        closeChannel();
        if (was == State.OPEN || was == State.CLOSING) {
            handler.closed(this, 1006);
        } else {
            handler.failed(this, error);
        }
    }

    private void closedNow(int code) {
        if (state == State.CLOSED) {
            return;
        }
        State was = state;
        closeChannel();
        if (was == State.OPEN || was == State.CLOSING) {
            handler.closed(this, code);
        } else {
            handler.failed(this, new IOException("closed during handshake"));
        }
    }

    private void closeChannel() {
        state = State.CLOSED;
        try {
            if (key != null) {
                key.cancel();
            }
            channel.close();
        } catch (IOException ignored) {
            // already gone
        }
        in = ByteBuffer.allocate(0);
        synchronized (this) {
            out = ByteBuffer.allocate(0);
        }
    }
}
