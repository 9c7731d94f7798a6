package duplex.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A WebSocket client over a plain {@link Socket} that sends whatever bytes a test asks for:
 * handshakes with wrong or missing headers, unmasked frames, reserved bits, fragmented control
 * frames, invalid UTF-8, lying lengths. What a real client library refuses to produce is
 * exactly what a hostile client sends. Reads are bounded by {@link WsClient#TIMEOUT}.
 */
public final class RawWebSocket implements AutoCloseable {

    public static final int TEXT = 0x1;
    public static final int BINARY = 0x2;
    public static final int CONTINUATION = 0x0;
    public static final int CLOSE = 0x8;
    public static final int PING = 0x9;
    public static final int PONG = 0xA;

    private static final SecureRandom RANDOM = new SecureRandom();

    /** The HTTP answer to a handshake. */
    public record Response(int status, String statusLine, Map<String, String> headers) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** One frame from the server. */
    public record Frame(boolean fin, int rsv, int opcode, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** The close code of a close frame (1005 if it had none). */
        public int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
        }

        public String closeReason() {
            return payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private Response response;

    private RawWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.socket.setSoTimeout((int) WsClient.TIMEOUT.toMillis());
        this.socket.setTcpNoDelay(true);
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** A TCP connection to the server of {@code uri}, not yet upgraded. */
    public static RawWebSocket connect(URI uri) {
        return connect(uri, null);
    }

    /** As {@link #connect(URI)}, from a given local address (for example 127.0.0.2: another client host). */
    public static RawWebSocket connect(URI uri, InetAddress localAddress) {
        return connect(uri, localAddress, 0);
    }

    /**
     * As {@link #connect(URI, InetAddress)}, with a receive buffer of this size (0: the system's),
     * set before connecting so the TCP window stays that small: a client that stops reading then
     * blocks the server's writes soon.
     */
    public static RawWebSocket connect(URI uri, InetAddress localAddress, int receiveBuffer) {
        try {
            Socket socket = new Socket();
            if (receiveBuffer > 0) {
                socket.setReceiveBufferSize(receiveBuffer);
            }
            if (localAddress != null) {
                socket.bind(new InetSocketAddress(localAddress, 0));
            }
            socket.connect(new InetSocketAddress(uri.getHost(), port(uri)), (int) WsClient.TIMEOUT.toMillis());
            return new RawWebSocket(socket);
        } catch (IOException e) {
            throw new IllegalStateException("cannot connect to " + uri + ": " + e, e);
        }
    }

    /** Connects and performs a correct handshake; fails unless the server answers 101. */
    public static RawWebSocket open(URI uri) {
        return open(uri, Map.of());
    }

    public static RawWebSocket open(URI uri, Map<String, String> extraHeaders) {
        RawWebSocket ws = connect(uri);
        Response response = ws.handshake(uri, extraHeaders);
        if (response.status() != 101) {
            ws.close();
            throw new AssertionError("handshake to " + uri + " answered " + response.statusLine());
        }
        return ws;
    }

    /**
     * Connects, sends the standard handshake with {@code Authorization: authorization} (none when
     * null), and returns the answer; the connection is closed again. For tests of who is let in.
     */
    public static Response answerTo(URI uri, String authorization) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (authorization != null) {
            headers.put("Authorization", authorization);
        }
        try (RawWebSocket raw = connect(uri)) {
            return raw.handshake(uri, headers);
        }
    }

    /** The standard handshake headers for {@code uri}, to be changed or removed by a test. */
    public static Map<String, String> standardHeaders(URI uri) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Host", uri.getHost() + ":" + port(uri));
        headers.put("Upgrade", "websocket");
        headers.put("Connection", "Upgrade");
        byte[] key = new byte[16];
        RANDOM.nextBytes(key);
        headers.put("Sec-WebSocket-Key", Base64.getEncoder().encodeToString(key));
        headers.put("Sec-WebSocket-Version", "13");
        return headers;
    }

    /** A handshake with the standard headers plus {@code extra} (a null value removes a header). */
    public Response handshake(URI uri, Map<String, String> extra) {
        Map<String, String> headers = standardHeaders(uri);
        extra.forEach((name, value) -> {
            headers.keySet().removeIf(n -> n.equalsIgnoreCase(name));
            if (value != null) {
                headers.put(name, value);
            }
        });
        StringBuilder request = new StringBuilder("GET " + uri.getRawPath()
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()) + " HTTP/1.1\r\n");
        headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
        request.append("\r\n");
        return rawHandshake(request.toString());
    }

    /** Sends an arbitrary HTTP request and reads the status line and headers of the answer. */
    public Response rawHandshake(String request) {
        try {
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            response = readResponse();
            return response;
        } catch (IOException e) {
            throw new IllegalStateException("handshake failed: " + e, e);
        }
    }

    public Response response() {
        return response;
    }

    private Response readResponse() throws IOException {
        String statusLine = readLine();
        if (statusLine == null) {
            throw new EOFException("connection closed before any response");
        }
        String[] parts = statusLine.split(" ", 3);
        int status = parts.length >= 2 ? Integer.parseInt(parts[1]) : -1;
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line = readLine(); line != null && !line.isEmpty(); line = readLine()) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
        }
        return new Response(status, statusLine, headers);
    }

    /** One CRLF-terminated line, byte by byte so that no frame bytes after the headers are consumed. */
    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            if (b == '\n') {
                break;
            }
            if (b != '\r') {
                line.write(b);
            }
            if (line.size() > 65_536) {
                throw new IOException("header line too long");
            }
        }
        if (b == -1 && line.size() == 0) {
            return null;
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    /** A complete, masked frame: what a well-behaved client sends. */
    public void send(int opcode, byte[] payload) {
        frame(true, 0, opcode, payload, true);
    }

    public void sendText(String text) {
        send(TEXT, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Sends a close frame with this code (and no reason). */
    public void sendClose(int code) {
        send(CLOSE, new byte[] {(byte) (code >> 8), (byte) code});
    }

    /** Any frame: fin bit, the three reserved bits, opcode, masked or not. */
    public void frame(boolean fin, int rsv, int opcode, byte[] payload, boolean masked) {
        writeRaw(encode(fin, rsv, opcode, payload, masked, payload.length));
    }

    /** A frame header that announces {@code declaredLength} bytes, followed by {@code payload} (which may be shorter). */
    public static byte[] encode(boolean fin, int rsv, int opcode, byte[] payload, boolean masked, long declaredLength) {
        ByteBuffer frame = ByteBuffer.allocate(14 + payload.length);
        frame.put((byte) ((fin ? 0x80 : 0) | ((rsv & 0x7) << 4) | (opcode & 0xF)));
        int maskBit = masked ? 0x80 : 0;
        if (declaredLength < 126) {
            frame.put((byte) (maskBit | declaredLength));
        } else if (declaredLength <= 0xFFFF) {
            frame.put((byte) (maskBit | 126));
            frame.putShort((short) declaredLength);
        } else {
            frame.put((byte) (maskBit | 127));
            frame.putLong(declaredLength);
        }
        byte[] mask = new byte[4];
        if (masked) {
            RANDOM.nextBytes(mask);
            frame.put(mask);
        }
        for (int i = 0; i < payload.length; i++) {
            frame.put((byte) (payload[i] ^ mask[i & 3]));
        }
        frame.flip();
        byte[] bytes = new byte[frame.remaining()];
        frame.get(bytes);
        return bytes;
    }

    /** Bytes exactly as given. A write that fails because the server has hung up is not an error here. */
    public boolean writeRaw(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The next frame, or null when the connection ended (EOF or reset) first. */
    public Frame readFrame() {
        return readFrame(WsClient.TIMEOUT);
    }

    public Frame readFrame(Duration timeout) {
        try {
            socket.setSoTimeout((int) timeout.toMillis());
            int b0 = in.read();
            if (b0 == -1) {
                return null;
            }
            int b1 = readByte();
            long length = b1 & 0x7F;
            if (length == 126) {
                length = (readByte() << 8) | readByte();
            } else if (length == 127) {
                length = 0;
                for (int i = 0; i < 8; i++) {
                    length = (length << 8) | readByte();
                }
            }
            if (length > 64L * 1024 * 1024) {
                throw new AssertionError("server announced a frame of " + length + " bytes");
            }
            byte[] mask = null;
            if ((b1 & 0x80) != 0) {
                mask = in.readNBytes(4);
            }
            byte[] payload = in.readNBytes((int) length);
            if (payload.length < length) {
                return null;
            }
            if (mask != null) {
                for (int i = 0; i < payload.length; i++) {
                    payload[i] ^= mask[i & 3];
                }
            }
            return new Frame((b0 & 0x80) != 0, (b0 >> 4) & 0x7, b0 & 0xF, payload);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no frame from the server within " + timeout);
        } catch (IOException e) {
            return null; // reset by the server: the connection ended
        }
    }

    private int readByte() throws IOException {
        int b = in.read();
        if (b == -1) {
            throw new EOFException();
        }
        return b;
    }

    /**
     * Reads until the server's close frame and returns its code; 1006 if the connection ended
     * without one. Other frames on the way are skipped.
     */
    public int awaitCloseCode() {
        Frame close = awaitClose();
        return close == null ? 1006 : close.closeCode();
    }

    /** The server's close frame, or null if the connection ended without one. */
    public Frame awaitClose() {
        long deadline = System.nanoTime() + WsClient.TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Frame frame = readFrame();
            if (frame == null) {
                return null;
            }
            if (frame.opcode() == CLOSE) {
                return frame;
            }
        }
        throw new AssertionError("no close within " + WsClient.TIMEOUT);
    }

    /** Whether bytes from the server are waiting to be read (without blocking). */
    public boolean hasInput() {
        try {
            return in.available() > 0;
        } catch (IOException e) {
            return true; // the connection ended: reading says how
        }
    }

    /** True when the server has closed the TCP connection (EOF) within the timeout. */
    public boolean awaitEof() {
        try {
            socket.setSoTimeout((int) WsClient.TIMEOUT.toMillis());
            while (true) {
                if (in.read() == -1) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing left to do with a socket that will not close
        }
    }

    private static int port(URI uri) {
        if (uri.getPort() != -1) {
            return uri.getPort();
        }
        return "wss".equals(uri.getScheme()) || "https".equals(uri.getScheme()) ? 443 : 80;
    }
}
