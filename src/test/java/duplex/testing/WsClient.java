package duplex.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A real WebSocket client for tests, on the JDK's own implementation (independent of the server
 * under test). Received messages queue up and are taken with a timeout; nothing sleeps.
 *
 * <p>Reading can be paused ({@link #stopReading()}): the client then stops taking data off the
 * socket, which is how a stalled consumer looks to the server.
 */
public final class WsClient implements AutoCloseable {

    public static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** What arrived: a text, a binary message, or the close. */
    public sealed interface Event {
    }

    public record Text(String text) implements Event {
    }

    public record Binary(byte[] data) implements Event {
    }

    public record Closed(int code, String reason) implements Event {
    }

    public record Error(Throwable error) implements Event {
    }

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final CompletableFuture<Closed> closed = new CompletableFuture<>();
    private final WebSocket socket;
    private volatile boolean reading = true;

    private WsClient(URI uri, Map<String, String> headers, List<String> subprotocols) {
        WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(TIMEOUT);
        headers.forEach(builder::header);
        if (!subprotocols.isEmpty()) {
            builder.subprotocols(subprotocols.get(0), subprotocols.subList(1, subprotocols.size()).toArray(String[]::new));
        }
        try {
            socket = builder.buildAsync(uri, new Listener()).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not connect to " + uri + ": " + e, e);
        }
    }

    public static WsClient connect(URI uri, String... subprotocols) {
        return new WsClient(uri, Map.of(), List.of(subprotocols));
    }

    public static WsClient connect(URI uri, Map<String, String> headers, String... subprotocols) {
        return new WsClient(uri, headers, List.of(subprotocols));
    }

    /** Tries to connect; the failure (for example a refused handshake) is returned, not thrown. */
    public static CompletableFuture<WebSocket> attempt(URI uri, Map<String, String> headers) {
        WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(TIMEOUT);
        headers.forEach(builder::header);
        return builder.buildAsync(uri, new WebSocket.Listener() {
        });
    }

    public String subprotocol() {
        return socket.getSubprotocol();
    }

    public WebSocket socket() {
        return socket;
    }

    public void send(String text) {
        socket.sendText(text, true).join();
    }

    public void send(byte[] data) {
        socket.sendBinary(ByteBuffer.wrap(data), true).join();
    }

    public void close(int code, String reason) {
        socket.sendClose(code, reason).join();
    }

    /** The next event, whatever it is; fails the test after the timeout. */
    public Event next() {
        return next(TIMEOUT);
    }

    public Event next(Duration timeout) {
        try {
            Event event = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (event == null) {
                throw new AssertionError("nothing received within " + timeout);
            }
            return event;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public String nextText() {
        Event event = next();
        if (event instanceof Text text) {
            return text.text();
        }
        throw new AssertionError("expected a text message, got " + event);
    }

    public byte[] nextBinary() {
        Event event = next();
        if (event instanceof Binary binary) {
            return binary.data();
        }
        throw new AssertionError("expected a binary message, got " + event);
    }

    /** Waits for the server's close frame (or the connection's end), skipping other messages. */
    public Closed awaitClose() {
        try {
            return closed.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("connection not closed within " + TIMEOUT);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** True when the connection ends (close frame or failure) within {@code timeout}. */
    public boolean awaitCloseWithin(Duration timeout) {
        try {
            closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    public boolean isClosed() {
        return closed.isDone();
    }

    /** Received and not yet taken. */
    public int backlog() {
        return events.size();
    }

    /** Stops taking data off the socket, as a stalled consumer would. */
    public void stopReading() {
        reading = false;
    }

    public void resumeReading() {
        reading = true;
        socket.request(1);
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
        socket.abort();
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();
        private ByteBuffer binary = ByteBuffer.allocate(0);

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                events.add(new Text(text.toString()));
                text.setLength(0);
            }
            demand(webSocket);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            ByteBuffer joined = ByteBuffer.allocate(binary.remaining() + data.remaining());
            joined.put(binary).put(data).flip();
            binary = joined;
            if (last) {
                byte[] bytes = new byte[binary.remaining()];
                binary.get(bytes);
                events.add(new Binary(bytes));
                binary = ByteBuffer.allocate(0);
            }
            demand(webSocket);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            Closed event = new Closed(statusCode, reason);
            // Closed before queued: whoever takes the event from the queue then sees isClosed().
            closed.complete(event);
            events.add(event);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(new Closed(1006, String.valueOf(error)));
            events.add(new Error(error));
        }

        private void demand(WebSocket webSocket) {
            if (reading) {
                webSocket.request(1);
            }
        }
    }
}
