package duplex.delivery;

import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;

import java.lang.reflect.Field;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Group commit on Tomcat: the frames waiting for a connection go out in one socket write, with one
 * completion.
 *
 * <p>Why: Tomcat writes every asynchronous message with its own socket write and hands the
 * completion of each to its executor (another thread, always). In a broadcast to a big room that
 * is a write and a thread hand-off per member per message, and they, not our code, were most of the
 * server's CPU per delivery. Tomcat's own JSR 356 batching copies messages into the session's
 * output buffer and completes them on the spot, without writing; but the API's flush
 * ({@code flushBatch}) blocks the caller until the peer took the bytes, and our threads never wait
 * on a peer. So this wire batches a group, then starts Tomcat's own flush asynchronously (the same
 * internal message {@code flushBatch} sends, with a handler instead of a wait). Each message enters
 * Tomcat's message path as the bytes of one whole frame ({@link #sendOne}). Reached by
 * reflection: the hooks are package-private in {@code org.apache.tomcat.websocket} (same in 10.1
 * and 11). If they are not there, {@link #of} returns null and the outbox uses the portable wire.
 *
 * <p>Order: a group's frames are handed over one after the other, each only once the previous one
 * completed (one message in flight, as the API requires), all while batching is on, and batching
 * is switched off only after the last of them sits in the buffer, just before the flush. So no
 * frame of ours can be written around the buffer. Control frames Tomcat sends meanwhile (the pong
 * to a client's ping) join the buffer or go straight out; both are allowed between messages.
 *
 * <p>One group in flight per connection (the outbox's rule); not thread-safe otherwise.
 */
final class TomcatWire implements Wire {

    private static final System.Logger LOG = System.getLogger(TomcatWire.class.getName());

    /** The most frames a group carries, and the largest frame that joins one (a larger one goes alone). */
    static final int MAX_FRAMES = 64;
    static final int MAX_FRAME_BYTES = 4096;

    /** RFC 6455 opcodes. */
    private static final byte OPCODE_TEXT = 0x1;
    private static final byte OPCODE_BINARY = 0x2;

    private static final ClassValue<Hooks> HOOKS = new ClassValue<>() {
        @Override
        protected Hooks computeValue(Class<?> type) {
            return Hooks.find(type);
        }
    };

    /** Tomcat's {@code WsRemoteEndpointImplBase} of this session. */
    private final Object endpoint;
    /** Its {@code batchingAllowed}, switched without the flush that {@code setBatchingAllowed(false)} would block on. */
    private final AtomicBoolean batching;
    private final Hooks hooks;

    private TomcatWire(Object endpoint, AtomicBoolean batching, Hooks hooks) {
        this.endpoint = endpoint;
        this.batching = batching;
        this.hooks = hooks;
    }

    /** The grouped wire for a Tomcat session's remote, or null on any other container. */
    static Wire of(RemoteEndpoint.Async remote) {
        Hooks hooks = HOOKS.get(remote.getClass());
        if (hooks == Hooks.NONE) {
            return null;
        }
        try {
            Object endpoint = hooks.base.get(remote);
            return new TomcatWire(endpoint, (AtomicBoolean) hooks.batching.get(endpoint), hooks);
        } catch (IllegalAccessException | RuntimeException e) {
            return null;
        }
    }

    @Override
    public int maxFrames() {
        return MAX_FRAMES;
    }

    @Override
    public boolean joinsGroup(Frame frame) {
        return frame != null && frame.bytes() <= MAX_FRAME_BYTES;
    }

    @Override
    public void send(Frame[] frames, int count, SendHandler done) {
        if (count == 1) {
            sendOne(frames[0], done); // nothing to group: a direct write of header and payload
            return;
        }
        new Group(frames, count, done).run();
    }

    /**
     * One whole message, as bytes, into Tomcat's message path (the one {@code sendText} ends in):
     * the frame's UTF-8 is made once per broadcast instead of once per member (Tomcat encodes a
     * String's chars one at a time, the largest item of its send path in the profile), and a long
     * text goes out as one frame instead of fragments of Tomcat's buffer size, each its own write.
     * Skipped: the API's check that no other message of ours is half sent; the outbox already
     * guarantees one message in flight.
     */
    private void sendOne(Frame frame, SendHandler done) {
        ByteBuffer payload;
        byte opcode;
        if (frame instanceof Frame.Text text) {
            payload = ByteBuffer.wrap(text.utf8());
            opcode = OPCODE_TEXT;
        } else {
            payload = ((Frame.Binary) frame).buffer();
            opcode = OPCODE_BINARY;
        }
        start(opcode, payload, done);
    }

    /** Tomcat's {@code startMessage}: the handler hears the result, failures of the call included. */
    private void start(byte opcode, ByteBuffer payload, SendHandler done) {
        try {
            hooks.startMessage.invokeExact(endpoint, opcode, payload, true, done);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            done.onResult(new SendResult(e));
        }
    }

    /**
     * One group: frames handed to Tomcat's buffer one at a time, then the flush. A frame that
     * Tomcat completes on this thread continues the loop; one that completes later (the buffer
     * filled up and Tomcat wrote it out) continues from its completion.
     */
    private final class Group {
        private final Frame[] frames;
        private final int count;
        private final SendHandler done;
        private int next;

        Group(Frame[] frames, int count, SendHandler done) {
            this.frames = frames;
            this.count = count;
            this.done = done;
        }

        void run() {
            batching.set(true);
            while (next < count) {
                Step step = new Step();
                sendOne(frames[next++], step);
                if (!step.returned()) {
                    return; // completes later and carries on from there
                }
                if (step.failure != null) {
                    finish(new SendResult(step.failure));
                    return;
                }
            }
            flush();
        }

        /** All frames are in Tomcat's buffer: batching off, then one asynchronous write of it. */
        private void flush() {
            batching.set(false);
            start(hooks.flushOpcode, null, this::finish);
        }

        private void finish(SendResult result) {
            if (!result.isOK()) {
                batching.set(false);
            }
            done.onResult(result);
        }

        /** The completion of one frame of the group; tells whether it came on the sending thread. */
        private final class Step implements SendHandler {
            private static final int ON_THE_WIRE = 0, RETURNED = 1, COMPLETED_INLINE = 2;
            private final AtomicInteger state = new AtomicInteger(ON_THE_WIRE);
            private Throwable failure;

            /** Called once the send call returned: true if the frame already completed. */
            boolean returned() {
                return !state.compareAndSet(ON_THE_WIRE, RETURNED);
            }

            @Override
            public void onResult(SendResult result) {
                if (!result.isOK()) {
                    failure = result.getException() != null ? result.getException() : new IllegalStateException("send failed");
                }
                if (state.compareAndSet(ON_THE_WIRE, COMPLETED_INLINE)) {
                    return; // the loop in run() goes on
                }
                if (failure != null) {
                    finish(new SendResult(failure));
                } else {
                    run();
                }
            }
        }
    }

    /** The package-private parts of Tomcat's WebSocket implementation this wire uses. */
    private record Hooks(Field base, Field batching, MethodHandle startMessage, byte flushOpcode) {
        static final Hooks NONE = new Hooks(null, null, null, (byte) 0);
        private static final String PACKAGE = "org.apache.tomcat.websocket.";

        static Hooks find(Class<?> remoteType) {
            if (!remoteType.getName().startsWith(PACKAGE)) {
                return NONE;
            }
            try {
                ClassLoader loader = remoteType.getClassLoader();
                Field base = Class.forName(PACKAGE + "WsRemoteEndpointBase", false, loader).getDeclaredField("base");
                Class<?> impl = Class.forName(PACKAGE + "WsRemoteEndpointImplBase", false, loader);
                Field batching = impl.getDeclaredField("batchingAllowed");
                Method startMessage = impl.getDeclaredMethod("startMessage", byte.class, ByteBuffer.class, boolean.class, SendHandler.class);
                Field flush = Class.forName(PACKAGE + "Constants", false, loader).getDeclaredField("INTERNAL_OPCODE_FLUSH");
                if (batching.getType() != AtomicBoolean.class || flush.getType() != byte.class || base.getType() != impl) {
                    throw new NoSuchFieldException("unexpected types");
                }
                base.setAccessible(true);
                batching.setAccessible(true);
                startMessage.setAccessible(true);
                flush.setAccessible(true);
                // A method handle of a fixed type: a call per frame boxes nothing and builds no argument array.
                MethodHandle start = MethodHandles.lookup().unreflect(startMessage)
                        .asType(MethodType.methodType(void.class, Object.class, byte.class, ByteBuffer.class, boolean.class, SendHandler.class));
                Hooks hooks = new Hooks(base, batching, start, flush.getByte(null));
                LOG.log(System.Logger.Level.INFO, "Tomcat WebSocket found: frames waiting for a connection go out in one write");
                return hooks;
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                LOG.log(System.Logger.Level.INFO, "Tomcat WebSocket without the expected internals ({0}): one write per frame",
                        e.toString());
                return NONE;
            }
        }
    }
}
