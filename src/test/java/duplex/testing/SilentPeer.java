package duplex.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket peer that completes the handshake over a plain socket and then never reads or
 * answers again: not even pings. To the server it looks like a dead peer or, with data queued
 * for it, a stalled consumer whose TCP window has closed. (The JDK client answers pings even when
 * its application stops reading, so it cannot play this part.) Plain {@code ws:} only.
 */
public final class SilentPeer implements AutoCloseable {

    private final Socket socket;

    private SilentPeer(Socket socket) {
        this.socket = socket;
    }

    public static SilentPeer connect(URI ws) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096); // before connect, so the window stays small
        int port = ws.getPort() == -1 ? 80 : ws.getPort();
        socket.connect(new InetSocketAddress(ws.getHost(), port), (int) WsClient.TIMEOUT.toMillis());
        socket.setSoTimeout((int) WsClient.TIMEOUT.toMillis());
        byte[] nonce = new byte[16];
        ThreadLocalRandom.current().nextBytes(nonce);
        String path = ws.getRawPath() + (ws.getRawQuery() == null ? "" : "?" + ws.getRawQuery());
        String request = "GET " + path + " HTTP/1.1\r\n"
                + "Host: " + ws.getHost() + ":" + port + "\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n";
        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        String response = readHeaders(socket.getInputStream());
        if (!response.startsWith("HTTP/1.1 101")) {
            socket.close();
            throw new IOException("handshake refused: " + response.lines().findFirst().orElse(""));
        }
        return new SilentPeer(socket);
    }

    /** Reads the response headers byte by byte, so nothing after them is consumed. */
    private static String readHeaders(InputStream in) throws IOException {
        ByteArrayOutputStream headers = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed during the handshake");
            }
            headers.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return headers.toString(StandardCharsets.US_ASCII);
    }

    /** What the peer found once it read again: how many data frames, then the close (1006: none, the connection just ended). */
    public record Drained(int dataFrames, int closeCode, String closeReason) {
    }

    /**
     * Starts reading again and reads, discarding data, until the server's close frame or the end
     * of the connection. Server frames are unmasked; fragments count as frames.
     */
    public Drained drainUntilClose() throws IOException {
        java.io.DataInputStream in = new java.io.DataInputStream(new java.io.BufferedInputStream(socket.getInputStream()));
        int frames = 0;
        try {
            while (true) {
                int first = in.readUnsignedByte();
                int second = in.readUnsignedByte();
                long length = second & 0x7F;
                if (length == 126) {
                    length = in.readUnsignedShort();
                } else if (length == 127) {
                    length = in.readLong();
                }
                byte[] payload = new byte[(int) length];
                in.readFully(payload);
                int opcode = first & 0x0F;
                if (opcode == 0x8) {
                    int code = payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
                    String reason = payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
                    return new Drained(frames, code, reason);
                }
                if (opcode <= 0x2) {
                    frames++;
                }
            }
        } catch (java.io.EOFException | java.net.SocketException e) {
            return new Drained(frames, 1006, "connection ended without a close frame");
        }
    }

    /** Drops the connection without a close frame. */
    @Override
    public void close() throws IOException {
        socket.close();
    }
}
