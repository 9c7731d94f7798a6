package duplex.connection;

import duplex.delivery.FakeSessions;
import duplex.guard.MemoryBudget;
import duplex.guard.RateLimiter;
import duplex.ops.EndpointMetrics;
import duplex.ops.Metrics;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.nio.ByteBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The edges every endpoint stands on, on a fake session: assembly against a limit and the budget, the rate limit's answers, text only. */
class ConnectionTest {

    private static final String ADDRESS = "10.0.0.1";

    private final EndpointMetrics metrics = new Metrics(List.of("test")).endpoint("test");

    private Connection connection(FakeSessions.Peer peer, RateLimiter.Policy rateLimit) {
        return new Connection(null, peer.outbox, metrics, rateLimit);
    }

    @Test
    void aMessageInOnePartIsHandedOverAsItCameAndUncharged() {
        MemoryBudget budget = new MemoryBudget(1 << 20, 1 << 24);
        FakeSessions.Peer peer = FakeSessions.peer(ADDRESS, budget);
        Assembly.Text text = new Assembly.Text(connection(peer, null), 100, "too big");
        String part = "héllo";

        assertSame(part, text.add(part, true), "no copy");
        assertEquals(6, text.lastSize(), "UTF-8 bytes");
        assertEquals(0, budget.used(ADDRESS));
    }

    @Test
    void partsAreChargedWhileAssembledAndGivenBackWhenWhole() {
        MemoryBudget budget = new MemoryBudget(1 << 20, 1 << 24);
        FakeSessions.Peer peer = FakeSessions.peer(ADDRESS, budget);
        Assembly.Text text = new Assembly.Text(connection(peer, null), 100, "too big");

        assertNull(text.add("abc", false));
        assertTrue(budget.used(ADDRESS) > 0, "the part is charged to its address");
        assertEquals("abcdef", text.add("def", true));
        assertEquals(6, text.lastSize());
        assertEquals(0, budget.used(ADDRESS), "given back");
    }

    @Test
    void pastTheLimitInBytesTheConnectionClosesWith1009AndTheRestIsIgnored() {
        MemoryBudget budget = new MemoryBudget(1 << 20, 1 << 24);
        FakeSessions.Peer peer = FakeSessions.peer(ADDRESS, budget);
        Connection connection = connection(peer, null);
        Assembly.Text text = new Assembly.Text(connection, 5, "at most 5 bytes");
        Assembly.Binary binary = new Assembly.Binary(connection, 100, "binary too big");

        assertNull(text.add("ab", false));
        assertNull(text.add("éé", false), "2 + 4 bytes: one past the limit, though only 4 characters");

        assertEquals(1009, peer.closedWith.getCloseCode().getCode());
        assertEquals("at most 5 bytes", peer.closedWith.getReasonPhrase());
        assertEquals(0, budget.used(ADDRESS), "what was assembled is given back");
        assertNull(text.add("x", true), "the rest of the input is ignored");
        assertNull(binary.add(ByteBuffer.wrap(new byte[] {1}), true), "of every kind");
    }

    @Test
    void binaryPartsAreAssembledInOrder() {
        FakeSessions.Peer peer = FakeSessions.peer(ADDRESS, null);
        Assembly.Binary binary = new Assembly.Binary(connection(peer, null), 100, "too big");

        assertNull(binary.add(ByteBuffer.wrap(new byte[] {1, 2}), false));
        assertArrayEquals(new byte[] {1, 2, 3}, binary.add(ByteBuffer.wrap(new byte[] {3}), true));
        assertEquals(3, binary.lastSize());
    }

    @Test
    void aPartTheBudgetRefusesClosesTheConnectionAndNothingStaysCharged() {
        MemoryBudget budget = new MemoryBudget(64, 1 << 24); // the address may hold 64 bytes
        FakeSessions.Peer peer = FakeSessions.peer(ADDRESS, budget);
        Connection connection = connection(peer, null);
        Assembly.Text text = new Assembly.Text(connection, 1 << 20, "too big");

        assertNull(text.add("x".repeat(100), false));

        assertEquals(1008, peer.closedWith.getCloseCode().getCode(), peer.closedWith.toString());
        assertTrue(connection.closingForInput());
        assertEquals(0, budget.used(ADDRESS));
    }

    @Test
    void overTheRateLimitAMessageIsAnsweredThenPastTheStrikesTheConnectionClosesAfterTheAnswers() {
        FakeSessions.Peer peer = FakeSessions.peer(ADDRESS, null);
        Connection connection = connection(peer, new RateLimiter.Policy(0.001, 1, 2));

        assertEquals(Connection.Admitted.YES, connection.admit());
        assertEquals(Connection.Admitted.ANSWERED, connection.admit());
        assertEquals(Connection.Admitted.ANSWERED, connection.admit());
        assertEquals(Connection.Admitted.CLOSING, connection.admit());

        assertEquals(2, peer.received.size(), "two rate_limited answers");
        JsonObject answer = Json.createReader(new StringReader(peer.received.get(0))).readObject();
        assertEquals("error", answer.getString("type"));
        assertEquals("rate_limited", answer.getString("code"));
        assertEquals(1008, peer.closedWith.getCloseCode().getCode());
        assertEquals("rate limit exceeded", peer.closedWith.getReasonPhrase());
        assertEquals(2, metrics.rateLimitedTotal());
        assertTrue(connection.closingForInput());
    }

    @Test
    void withoutALimitEveryMessageIsHandled() {
        Connection connection = connection(FakeSessions.peer(ADDRESS, null), null);
        for (int i = 0; i < 1000; i++) {
            assertEquals(Connection.Admitted.YES, connection.admit());
        }
    }

    @Test
    void binaryWhereOnlyTextIsSpokenClosesOnceWith1003() {
        FakeSessions.Peer peer = FakeSessions.peer(ADDRESS, null);
        Connection connection = connection(peer, null);

        connection.textOnly("JSON text only");

        assertEquals(1003, peer.closedWith.getCloseCode().getCode());
        assertEquals("JSON text only", peer.closedWith.getReasonPhrase());
        assertTrue(connection.closingForInput());
    }
}
