package duplex.chat;

import duplex.bus.Bus;
import duplex.bus.Leadership;
import duplex.bus.LocalBus;
import duplex.bus.Member;
import duplex.bus.Post;
import duplex.bus.RoomLink;
import duplex.bus.RoomListener;
import duplex.bus.Topic;
import duplex.delivery.FakeSessions;
import duplex.guard.MemoryBudget;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The registry's bounds on fake sessions: room caps per address and in all, and the history budget. */
class RoomsTest {

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final AtomicInteger ids = new AtomicInteger();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    private Rooms rooms(int maxRooms, int perAddress, Duration linger, MemoryBudget budget) {
        return rooms(maxRooms, perAddress, linger, budget, new LocalBus());
    }

    private Rooms rooms(int maxRooms, int perAddress, Duration linger, MemoryBudget budget, Bus bus) {
        return new Rooms(new Rooms.Limits(50, linger, maxRooms, perAddress), Clock.systemUTC(), scheduler, nanos -> { },
                bus, budget, Runnable::run, duplex.delivery.Fanout.INLINE); // turns taken on the calling thread: every join is done when join returns
    }

    /** A local bus whose rooms open only when the test completes the future {@link #open} returned. */
    private static final class SlowBus extends DelegatingBus {
        final java.util.List<CompletableFuture<Void>> opening = new java.util.concurrent.CopyOnWriteArrayList<>();
        final java.util.concurrent.atomic.AtomicReference<RuntimeException> failWith = new java.util.concurrent.atomic.AtomicReference<>();

        @Override
        public CompletableFuture<RoomLink> open(String room, int historySize, RoomListener listener) {
            CompletableFuture<Void> gate = new CompletableFuture<>();
            opening.add(gate);
            return gate.thenApply(ignored -> {
                RuntimeException failure = failWith.get();
                if (failure != null) {
                    throw failure;
                }
                return local.link(room, historySize, listener);
            });
        }
    }

    @Test
    void aJoinWaitsForTheBusToOpenTheRoomWithoutHoldingTheCaller() {
        MemoryBudget budget = new MemoryBudget(1 << 20, 1 << 24);
        SlowBus bus = new SlowBus();
        Rooms rooms = rooms(100, 100, Duration.ofMinutes(10), budget, bus);
        Rooms.Joined[] answer = new Rooms.Joined[2];

        rooms.join("lobby", participant("10.0.0.1", budget), OptionalLong.empty(), joined -> answer[0] = joined);
        rooms.join("lobby", participant("10.0.0.2", budget), OptionalLong.empty(), joined -> answer[1] = joined);

        assertNull(answer[0], "join returned before the room was open, unanswered");
        assertEquals(1, bus.opening.size(), "one room opened, the second join waits in it");
        rooms.sweep(); // an opening room is not idle
        assertEquals(1, rooms.count());

        bus.opening.get(0).complete(null);

        assertInstanceOf(Rooms.Joined.In.class, answer[0]);
        assertInstanceOf(Rooms.Joined.In.class, answer[1]);
        assertEquals(2, ((Rooms.Joined.In) answer[1]).room().size());
    }

    @Test
    void whenTheBusCannotOpenTheRoomItsJoinsAreRefusedAndTheNextJoinTriesAgain() {
        MemoryBudget budget = new MemoryBudget(1 << 20, 1 << 24);
        SlowBus bus = new SlowBus();
        Rooms rooms = rooms(100, 1, Duration.ofMinutes(10), budget, bus); // one room per address
        Rooms.Joined[] answer = new Rooms.Joined[1];
        rooms.join("lobby", participant("10.0.0.1", budget), OptionalLong.empty(), joined -> answer[0] = joined);

        bus.failWith.set(new duplex.bus.BusUnavailableException("Redis is not connected"));
        bus.opening.get(0).complete(null);

        assertEquals(Rooms.Refusal.BUS_UNAVAILABLE, ((Rooms.Joined.Refused) answer[0]).why());
        assertEquals(0, rooms.count(), "the room that never opened is gone");
        assertEquals(0, rooms.createdBy("10.0.0.1"), "and no longer counts for its creator");
        bus.failWith.set(null);
        rooms.join("lobby", participant("10.0.0.1", budget), OptionalLong.empty(), joined -> answer[0] = joined);
        bus.opening.get(1).complete(null);
        assertInstanceOf(Rooms.Joined.In.class, answer[0], "the same address may open it again");
    }

    /** The in-process bus, to override a part of. */
    private static class DelegatingBus implements Bus {
        final LocalBus local = new LocalBus();

        @Override
        public RoomLink link(String room, int historySize, RoomListener listener) {
            return local.link(room, historySize, listener);
        }

        @Override
        public Topic topic(String topic, Consumer<String> receiver) {
            return local.topic(topic, receiver);
        }

        @Override
        public Leadership lead(String lease, Leadership.Listener listener) {
            return local.lead(lease, listener);
        }

        @Override
        public String nodeId() {
            return local.nodeId();
        }

        @Override
        public duplex.bus.BusStatus status() {
            return local.status();
        }

        @Override
        public boolean clustered() {
            return false;
        }

        @Override
        public void close() {
            local.close();
        }
    }

    /** A local bus whose room links throw when the member called {@code name} joins or leaves. */
    private static Bus throwingFor(String name) {
        return new DelegatingBus() {
            @Override
            public RoomLink link(String room, int historySize, RoomListener listener) {
                RoomLink link = local.link(room, historySize, listener);
                return new RoomLink() {
                    @Override
                    public CompletableFuture<Long> post(Post post) {
                        return link.post(post);
                    }

                    @Override
                    public void join(Member member) {
                        if (member.name().equals(name)) {
                            throw new IllegalStateException("the bus failed");
                        }
                        link.join(member);
                    }

                    @Override
                    public void leave(Member member) {
                        if (member.name().equals(name)) {
                            throw new IllegalStateException("the bus failed");
                        }
                        link.leave(member);
                    }

                    @Override
                    public void rename(Member member, String previousName) {
                        link.rename(member, previousName);
                    }

                    @Override
                    public java.util.List<Member> members() {
                        return link.members();
                    }

                    @Override
                    public long lastSeq() {
                        return link.lastSeq();
                    }

                    @Override
                    public void close() {
                        link.close();
                    }
                };
            }
        };
    }

    /** Joins on the calling thread (the direct executor above) and returns the answer. */
    private static Rooms.Joined join(Rooms rooms, String room, Participant p) {
        Rooms.Joined[] answer = new Rooms.Joined[1];
        rooms.join(room, p, OptionalLong.empty(), joined -> answer[0] = joined);
        return java.util.Objects.requireNonNull(answer[0], "answered at once");
    }

    private final java.util.Map<String, FakeSessions.Peer> peers = new java.util.HashMap<>();

    private Participant participant(String address, MemoryBudget budget) {
        FakeSessions.Peer peer = FakeSessions.peer(address, budget);
        Participant p = new Participant("p" + ids.incrementAndGet(), "n" + ids.get(), peer.outbox, false);
        peers.put(p.id(), peer);
        return p;
    }

    @Test
    void aJoinThatThrowsIsRefusedLeavesNoMemberBehindAndTheRoomTakesTheNextJoin() {
        MemoryBudget budget = new MemoryBudget(1 << 20, 1 << 24);
        Rooms rooms = rooms(100, 100, Duration.ofMinutes(10), budget, throwingFor("boom"));
        Room lobby = ((Rooms.Joined.In) join(rooms, "lobby", participant("10.0.0.1", budget))).room();
        FakeSessions.Peer boomPeer = FakeSessions.peer("10.0.0.2", budget);
        Participant boom = new Participant("p" + ids.incrementAndGet(), "boom", boomPeer.outbox, false);

        Rooms.Joined refused = join(rooms, "lobby", boom);

        assertEquals(Rooms.Refusal.FAILED, ((Rooms.Joined.Refused) refused).why());
        assertEquals(1, lobby.size(), "the failed joiner is not a member");
        assertInstanceOf(Rooms.Joined.In.class, join(rooms, "lobby", participant("10.0.0.3", budget)), "the next join is taken");
        assertEquals(2, lobby.size());
    }

    @Test
    void aLeaveThatThrowsStillRemovesTheMemberAndAnswers() {
        MemoryBudget budget = new MemoryBudget(1 << 20, 1 << 24);
        Rooms rooms = rooms(100, 100, Duration.ofMinutes(10), budget, throwingFor("boom"));
        Room lobby = ((Rooms.Joined.In) join(rooms, "lobby", participant("10.0.0.1", budget))).room();
        Participant boom = new Participant("p" + ids.incrementAndGet(), "boom", FakeSessions.peer("10.0.0.2", budget).outbox, false);
        // Joins through a name the bus accepts, then leaves under the one it fails on.
        Participant renamed = new Participant(boom.id(), "fine", boom.outbox(), false);
        assertInstanceOf(Rooms.Joined.In.class, join(rooms, "lobby", renamed));
        renamed.rename("boom");
        assertEquals(2, lobby.size());

        boolean[] answered = {false};
        lobby.leave(renamed, () -> answered[0] = true);

        assertTrue(answered[0], "the leave's follow-up ran");
        assertEquals(1, lobby.size(), "the member is gone here");
    }

    /** Joins and leaves at once: the room lingers, empty, created by {@code address}. */
    private static Rooms.Joined visit(Rooms rooms, String room, Participant p) {
        Rooms.Joined joined = join(rooms, room, p);
        if (joined instanceof Rooms.Joined.In in) {
            rooms.leave(in.room(), p);
        }
        return joined;
    }

    @Test
    void oneAddressMayCreateOnlyItsShareOfRooms() {
        MemoryBudget budget = new MemoryBudget(1 << 20, 1 << 24);
        Rooms rooms = rooms(100, 3, Duration.ofMinutes(10), budget);
        for (int i = 0; i < 3; i++) {
            assertInstanceOf(Rooms.Joined.In.class, visit(rooms, "a" + i, participant("10.0.0.1", budget)));
        }
        Rooms.Joined refused = visit(rooms, "a3", participant("10.0.0.1", budget));
        assertEquals(Rooms.Refusal.ADDRESS_ROOMS_FULL, ((Rooms.Joined.Refused) refused).why());
        assertInstanceOf(Rooms.Joined.In.class, visit(rooms, "a0", participant("10.0.0.1", budget)), "joining an existing room is fine");
        assertInstanceOf(Rooms.Joined.In.class, visit(rooms, "b0", participant("10.0.0.2", budget)), "another address is not affected");
        assertEquals(3, rooms.createdBy("10.0.0.1"));
        assertEquals(4, rooms.lingering(), "lingering rooms are counted");
    }

    @Test
    void aNewRoomTakesThePlaceOfTheRoomEmptyTheLongest() {
        MemoryBudget budget = new MemoryBudget(1 << 20, 1 << 24);
        Rooms rooms = rooms(3, 100, Duration.ofMinutes(10), budget);
        visit(rooms, "r1", participant("10.0.0.1", budget));
        visit(rooms, "r2", participant("10.0.0.1", budget));
        Participant stays = participant("10.0.0.1", budget);
        assertInstanceOf(Rooms.Joined.In.class, join(rooms, "r3", stays));
        // Full, but r1 and r2 are only lingering: r1, empty the longest, makes way.
        assertInstanceOf(Rooms.Joined.In.class, visit(rooms, "r4", participant("10.0.0.2", budget)));
        assertEquals(3, rooms.count());
        assertEquals(0, rooms.createdBy("10.0.0.9"));
        assertEquals(2, rooms.createdBy("10.0.0.1"), "the dropped room no longer counts for its creator");
        // A full registry whose rooms all have members refuses.
        Rooms small = rooms(1, 100, Duration.ofMinutes(10), budget);
        assertInstanceOf(Rooms.Joined.In.class, join(small, "busy", participant("10.0.0.1", budget)));
        Rooms.Joined refused = join(small, "other", participant("10.0.0.2", budget));
        assertEquals(Rooms.Refusal.ROOMS_FULL, ((Rooms.Joined.Refused) refused).why());
    }

    @Test
    void historyIsChargedToItsPosterAndGivenBackWithTheRoom() {
        MemoryBudget budget = new MemoryBudget(1 << 20, 1 << 24);
        Rooms rooms = rooms(100, 100, Duration.ZERO, budget);
        Participant alice = participant("10.0.0.1", budget);
        Room room = ((Rooms.Joined.In) join(rooms, "lobby", alice)).room();
        for (int i = 0; i < 60; i++) {
            room.say(alice, "x".repeat(1000)).join();
        }
        long held = budget.used("10.0.0.1");
        // Each message is held once, as the JSON welcomes carry, 2 bytes a character (the bus keeps no copy).
        assertTrue(held >= 50 * 2000 && held < 50 * 2400, "50 messages of history held, not 60: " + held);
        rooms.leave(room, alice); // no linger: the room and its history are dropped
        assertEquals(0, budget.used("10.0.0.1"));
        assertEquals(0, budget.used());
    }

    @Test
    void pastTheTotalTheOldestHistoryOfAllRoomsGoesFirst() {
        MemoryBudget budget = new MemoryBudget(200_000, 200_000);
        Rooms rooms = rooms(100, 100, Duration.ofMinutes(10), budget);
        Participant early = participant("10.0.0.1", budget);
        Participant late = participant("10.0.0.2", budget);
        Room first = ((Rooms.Joined.In) join(rooms, "first", early)).room();
        Room second = ((Rooms.Joined.In) join(rooms, "second", late)).room();
        for (int i = 0; i < 40; i++) {
            first.say(early, "o".repeat(2000)).join(); // about 4 KB each: 160 KB
        }
        for (int i = 0; i < 40; i++) {
            second.say(late, "n".repeat(2000)).join(); // 160 KB more: past the total
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> !budget.overTotal());
        assertTrue(budget.used() <= 200_000, "back under the total: " + budget.used());
        assertTrue(budget.used("10.0.0.1") < budget.used("10.0.0.2"), "the older room's history went first");
        Participant joiner = participant("10.0.0.3", budget);
        rooms.join("first", joiner, OptionalLong.of(0), joined -> { });
        String welcome = peers.get(joiner.id()).received.get(0);
        assertTrue(welcome.contains("\"recovered\":false"), "a joiner is told what was evicted");
    }

    /**
     * Joins and leaves wait for the room's turn on the rooms' executor: queuing one never runs it
     * on the caller's thread, a batch is applied in the order it came, and a leave queued behind
     * a join takes the member out again.
     */
    @Test
    void joinsAndLeavesTakeTheirTurnOnTheRoomsExecutorInOrder() {
        MemoryBudget budget = new MemoryBudget(1 << 20, 1 << 24);
        java.util.ArrayDeque<Runnable> executor = new java.util.ArrayDeque<>();
        Rooms rooms = new Rooms(new Rooms.Limits(50, Duration.ofMinutes(10), 100, 100), Clock.systemUTC(), scheduler, nanos -> { },
                new LocalBus(), budget, executor::add, duplex.delivery.Fanout.INLINE);
        Participant alice = participant("10.0.0.1", budget);
        Participant bob = participant("10.0.0.1", budget);
        java.util.List<String> answers = new java.util.ArrayList<>();
        Room[] room = new Room[1];
        rooms.join("turns", alice, OptionalLong.empty(), joined -> {
            answers.add("alice " + joined.getClass().getSimpleName());
            room[0] = ((Rooms.Joined.In) joined).room();
        });
        rooms.join("turns", bob, OptionalLong.empty(), joined -> answers.add("bob " + joined.getClass().getSimpleName()));
        assertEquals(java.util.List.of(), answers, "nothing happens on the caller's thread");
        assertEquals(java.util.List.of(), peers.get(alice.id()).received, "no welcome yet");
        assertEquals(1, executor.size(), "one task takes the room's turns");
        executor.poll().run();
        assertEquals(java.util.List.of("alice In", "bob In"), answers);
        assertTrue(peers.get(bob.id()).received.get(0).contains("\"memberCount\":2"), "bob's welcome counts alice");
        rooms.leave(room[0], alice);
        assertEquals(2, room[0].size(), "the leave waits for its turn");
        executor.poll().run();
        assertEquals(1, room[0].size());
        assertTrue(executor.isEmpty());
    }
}
