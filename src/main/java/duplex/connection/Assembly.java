package duplex.connection;

import duplex.delivery.Frame;
import duplex.guard.MemoryBudget;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * A message that arrives in parts, put together against the endpoint's own limit in bytes
 * (UTF-8 bytes for text). Why not the container's whole-message buffer: Tomcat's defaults to 8 KiB
 * and closes at once past it, with the rest of the message unread (the peer then often sees a
 * reset, 1006, instead of the 1009); Tyrus's is 4 MiB. Only our own count makes the limit and the
 * answer the same on every server, and here the rest is read and dropped while the 1009 goes out.
 *
 * <p>Memory: a message being assembled is charged to the client's address in the
 * {@link MemoryBudget}, twice its size (the buffer grows by doubling, and the finished message is
 * a copy); past the address's share the connection is closed (1008), past the server's (1013). A
 * message in one part is handed over as it came: no copy, no charge. The buffer is dropped, not
 * kept, after each message: one large message must not leave a large buffer behind for the rest
 * of the connection's life.
 *
 * <p>One per kind of message per connection. The container hands a session's parts over one at
 * a time; {@link #drop} may come from another thread (a close), hence the lock.
 */
public abstract sealed class Assembly permits Assembly.Text, Assembly.Binary {

    final Connection connection;
    private final long maxBytes;
    private final String tooBig;
    /** Bytes of the message so far. */
    long size;
    private int lastSize;
    /** Charged to the budget for the message being assembled; given back when it is done. */
    private long charged;
    private boolean dropped;

    Assembly(Connection connection, long maxBytes, String tooBig) {
        this.connection = connection;
        this.maxBytes = maxBytes;
        this.tooBig = tooBig;
    }

    /** The size in bytes of the last whole message handed over. */
    public int lastSize() {
        return lastSize;
    }

    /** True when the part is to be taken: the connection is not closing, and the limit holds. */
    final boolean accepts(long partBytes) {
        if (connection.closingForInput()) {
            return false;
        }
        connection.heard();
        if (size + partBytes > maxBytes) {
            drop();
            connection.tooBig(tooBig);
            return false;
        }
        return true;
    }

    /** Charges part of a message being assembled; false (the connection closing) when the budget refuses. */
    final synchronized boolean charge(long bytes) {
        if (dropped) {
            return false; // closed meanwhile (our own close may run @OnClose on another thread)
        }
        MemoryBudget budget = connection.outbox().budget();
        if (budget == null) {
            return true;
        }
        MemoryBudget.Verdict verdict = budget.tryCharge(connection.outbox().remoteAddress(), bytes);
        if (verdict == MemoryBudget.Verdict.CHARGED) {
            charged += bytes;
            return true;
        }
        drop();
        connection.overBudget(verdict);
        return false;
    }

    /** The message is whole: its charge given back, its size counted as received. */
    final synchronized void finished() {
        release();
        lastSize = (int) size;
        size = 0;
        connection.outbox().received(lastSize);
    }

    /** The connection is closing: what was assembled is freed, and nothing more is taken. */
    public final synchronized void drop() {
        dropped = true;
        clear();
        release();
    }

    /** Gives back what the message being assembled was charged. */
    private void release() {
        if (charged > 0) {
            connection.outbox().budget().release(connection.outbox().remoteAddress(), charged);
            charged = 0;
        }
    }

    abstract void clear();

    /** Text messages. */
    public static final class Text extends Assembly {
        private StringBuilder parts = new StringBuilder();

        /** @param tooBig the close reason (1009) of a message past {@code maxBytes} UTF-8 bytes */
        public Text(Connection connection, long maxBytes, String tooBig) {
            super(connection, maxBytes, tooBig);
        }

        /** The whole message when this part ends one; null while more is to come, or when the connection is closing. */
        public String add(String part, boolean last) {
            int bytes = Frame.utf8Length(part);
            if (!accepts(bytes)) {
                return null;
            }
            size += bytes;
            if (last && parts.length() == 0) {
                finished(); // the common case: one part, no copy
                return part;
            }
            if (!charge(2L * MemoryBudget.ofText(part.length()))) {
                return null;
            }
            parts.append(part);
            if (!last) {
                return null;
            }
            String whole = parts.toString();
            parts = new StringBuilder();
            finished();
            return whole;
        }

        @Override
        void clear() {
            parts = new StringBuilder();
        }
    }

    /** Binary messages. */
    public static final class Binary extends Assembly {
        private ByteArrayOutputStream parts = new ByteArrayOutputStream();

        /** @param tooBig the close reason (1009) of a message past {@code maxBytes} bytes */
        public Binary(Connection connection, long maxBytes, String tooBig) {
            super(connection, maxBytes, tooBig);
        }

        /** The whole message when this part ends one; null while more is to come, or when the connection is closing. */
        public byte[] add(ByteBuffer part, boolean last) {
            int bytes = part.remaining();
            if (!accepts(bytes)) {
                return null;
            }
            boolean single = last && parts.size() == 0;
            if (!single && !charge(2L * MemoryBudget.ofBytes(bytes))) {
                return null;
            }
            byte[] copy = new byte[bytes];
            part.get(copy);
            size += bytes;
            if (single) {
                finished();
                return copy;
            }
            parts.writeBytes(copy);
            if (!last) {
                return null;
            }
            byte[] whole = parts.toByteArray();
            parts = new ByteArrayOutputStream();
            finished();
            return whole;
        }

        @Override
        void clear() {
            parts = new ByteArrayOutputStream();
        }
    }
}
