package duplex.deploy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One client WebSocket connection on a non-blocking socket, of the many that {@link Crowd} and
 * {@link WebSocketFlood} keep on one selector and one thread: the opening handshake (the
 * server's {@code Sec-WebSocket-Accept} is checked, so a connection counts as open only after a
 * real upgrade), buffered writes, the server's frames one at a time, and masked client frames.
 * What a connection makes of what it reads is its subclass's. Not thread-safe: only the thread
 * that drives the selector touches it.
 */
abstract class NioWebSocket {

    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /** One frame from the server (unmasked, as servers send them). */
    record Frame(boolean fin, int opcode, byte[] payload) {
        /** The close code of a close frame (1005 if it had none). */
        int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
        }
    }

    final int id;
    final SocketChannel channel;
    final String key = Base64.getEncoder().encodeToString(randomBytes(16));
    /** What has been read and not yet taken; flipped for reading while {@link #received} runs. */
    ByteBuffer in;
    ByteBuffer out = ByteBuffer.allocate(0);
    private final Selector selector;
    private final InetSocketAddress server;
    private final String path;

    NioWebSocket(int id, SocketChannel channel, Selector selector, InetSocketAddress server, String path, int bufferSize) {
        this.id = id;
        this.channel = channel;
        this.selector = selector;
        this.server = server;
        this.path = path;
        this.in = ByteBuffer.allocate(bufferSize);
    }

    /** A new socket for a connection: non-blocking, and without Nagle's delay. */
    static SocketChannel nonBlockingChannel() throws IOException {
        SocketChannel channel = SocketChannel.open();
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        return channel;
    }

    /** The handshake is under way (sent now). */
    abstract void handshaking();

    /** Takes what it can of {@link #in} (flipped for reading): the answer to the handshake, frames. */
    abstract void received();

    /**
     * {@link #in} is full of what has not been taken yet; returns whether to read on (after
     * making room).
     */
    abstract boolean bufferFull();

    /**
     * A frame of {@code length} payload bytes after a header of {@code header} is more than
     * {@link #in} can ever hold.
     */
    abstract void frameTooLong(int header, long length);

    /** The server closed the TCP connection. */
    abstract void ended();

    /** Reading or writing failed: by default, a failure. */
    void broken(IOException e) {
        fail(e.toString());
    }

    /** Something the server sent was wrong. */
    abstract void fail(String why);

    /** Connects (without waiting); the handshake goes out as soon as the connection is made. */
    final void connect() throws IOException {
        if (channel.connect(server)) {
            handshake();
        } else {
            channel.register(selector, SelectionKey.OP_CONNECT, this);
        }
    }

    /**
     * Does what the selector found ready for the connections on it: finishes connecting (and
     * sends the handshake), writes what is waiting, reads what has come.
     */
    static void serveReady(Selector selector) {
        for (SelectionKey key : selector.selectedKeys()) {
            NioWebSocket ws = (NioWebSocket) key.attachment();
            try {
                if (!key.isValid()) {
                    continue;
                }
                if (key.isConnectable()) {
                    ws.channel.finishConnect();
                    ws.handshake();
                }
                if (key.isValid() && key.isWritable()) {
                    ws.flush();
                }
                if (key.isValid() && key.isReadable()) {
                    ws.read();
                }
            } catch (IOException e) {
                ws.broken(e);
            }
        }
        selector.selectedKeys().clear();
    }

    private void handshake() throws IOException {
        handshaking();
        String request = "GET " + path + " HTTP/1.1\r\n"
                + "Host: " + server.getHostString() + ":" + server.getPort() + "\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + key + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n";
        channel.register(selector, SelectionKey.OP_READ, this);
        send(request.getBytes(StandardCharsets.US_ASCII));
    }

    private void read() throws IOException {
        if (!in.hasRemaining() && !bufferFull()) {
            return;
        }
        if (channel.read(in) < 0) {
            ended();
            return;
        }
        in.flip();
        received();
        in.compact();
    }

    /**
     * Takes the server's answer to the handshake from {@link #in}: true once it has upgraded; false
     * while its head is still incomplete, or when it refused (then {@link #fail} has been told).
     */
    final boolean upgraded() {
        String text = StandardCharsets.ISO_8859_1.decode(in.duplicate()).toString();
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        String head = text.substring(0, end);
        if (!head.startsWith("HTTP/1.1 101") || !head.contains(accept(key))) {
            fail("handshake refused: " + head.lines().findFirst().orElse(""));
            return false;
        }
        in.position(in.position() + end + 4);
        return true;
    }

    /** Takes the next whole frame from {@link #in}; null while the rest of it is still on its way. */
    final Frame nextFrame() {
        if (in.remaining() < 2) {
            return null;
        }
        int start = in.position();
        boolean fin = (in.get(start) & 0x80) != 0;
        int opcode = in.get(start) & 0x0F;
        long length = in.get(start + 1) & 0x7F;
        int header = 2;
        if (length == 126) {
            if (in.remaining() < 4) {
                return null;
            }
            length = in.getShort(start + 2) & 0xFFFF;
            header = 4;
        } else if (length == 127) {
            if (in.remaining() < 10) {
                return null;
            }
            length = in.getLong(start + 2);
            header = 10;
        }
        if (in.remaining() < header + length) {
            if (header + length > in.capacity()) {
                frameTooLong(header, length);
            }
            return null;
        }
        byte[] payload = new byte[(int) length];
        in.position(start + header);
        in.get(payload);
        return new Frame(fin, opcode, payload);
    }

    /** Queues the bytes and writes what the socket takes now; the selector writes the rest. */
    void send(byte[] bytes) {
        ByteBuffer joined = ByteBuffer.allocate(out.remaining() + bytes.length);
        joined.put(out).put(bytes).flip();
        out = joined;
        try {
            flush();
        } catch (IOException e) {
            broken(e);
        }
    }

    private void flush() throws IOException {
        channel.write(out);
        SelectionKey selection = channel.keyFor(selector);
        if (selection != null && selection.isValid()) {
            selection.interestOps(out.hasRemaining() ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        }
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
