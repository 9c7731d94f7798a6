package duplex.bus;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalBusTest {

    @Test
    void postsAreDeliveredInOrderWithGaplessSeq() {
        try (LocalBus bus = new LocalBus()) {
            Recorder recorder = new Recorder();
            RoomLink link = bus.link("lobby", 3, recorder);
            for (int i = 1; i <= 5; i++) {
                assertEquals(i, link.post(Recorder.post("m" + i)).join());
                assertEquals("posted " + i + " m" + i, recorder.next(Duration.ZERO));
            }
            assertEquals(5, link.lastSeq());
        }
    }

    @Test
    void presenceIsAnnouncedOnceAndListedInJoinOrder() {
        try (LocalBus bus = new LocalBus()) {
            Recorder recorder = new Recorder();
            RoomLink link = bus.link("lobby", 10, recorder);
            Member alice = new Member("a1", "Alice");
            Member bob = new Member("b1", "Bob");
            link.join(alice);
            link.join(bob);
            link.join(bob); // repeated: nothing new
            link.rename(new Member("a1", "Alicia"), "Alice");
            link.leave(bob);
            link.leave(bob);
            assertEquals(List.of("joined a1 Alice", "joined b1 Bob", "renamed a1 Alicia from Alice", "left b1 Bob"),
                    recorder.drain(Duration.ofMillis(10)));
            assertEquals(List.of(new Member("a1", "Alicia")), link.members());
        }
    }

    @Test
    void aListenerMayCallItsLinkAndHearsWhatThatCausedAfterTheCurrentCall() {
        try (LocalBus bus = new LocalBus()) {
            RoomLink[] link = new RoomLink[1];
            List<String> heard = new ArrayList<>();
            Recorder recorder = new Recorder() {
                @Override
                public void joined(Member member) {
                    heard.add("joined " + member.id());
                    link[0].leave(member); // as a room does for a member whose outbox refused a frame
                    heard.add("returned");
                }

                @Override
                public void left(Member member) {
                    heard.add("left " + member.id());
                }
            };
            link[0] = bus.link("lobby", 10, recorder);
            link[0].join(new Member("a1", "Alice"));
            assertEquals(List.of("joined a1", "returned", "left a1"), heard);
            assertEquals(List.of(), link[0].members());
        }
    }

    @Test
    void oneLinkPerRoomAndARoomCanBeLinkedAgainAfterClose() {
        try (LocalBus bus = new LocalBus()) {
            RoomLink link = bus.link("lobby", 10, new Recorder());
            assertThrows(IllegalStateException.class, () -> bus.link("lobby", 10, new Recorder()));
            link.close();
            bus.link("lobby", 10, new Recorder()).close();
        }
    }

    @Test
    void concurrentPostsGetDistinctConsecutiveSeqsInDeliveryOrder() throws Exception {
        try (LocalBus bus = new LocalBus()) {
            List<Long> delivered = new ArrayList<>();
            RoomLink link = bus.link("lobby", 10, new RoomListener() {
                @Override
                public void loaded(RoomSnapshot snapshot) {
                }

                @Override
                public void posted(Posted message) {
                    delivered.add(message.seq()); // calls never overlap: no race here
                }

                @Override
                public void joined(Member member) {
                }

                @Override
                public void left(Member member) {
                }

                @Override
                public void renamed(Member member, String previousName) {
                }
            });
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread thread = new Thread(() -> {
                    for (int i = 0; i < 250; i++) {
                        link.post(Recorder.post("x")).join();
                    }
                });
                threads.add(thread);
                thread.start();
            }
            for (Thread thread : threads) {
                thread.join();
            }
            assertEquals(1000, delivered.size());
            for (int i = 0; i < delivered.size(); i++) {
                assertEquals(i + 1, delivered.get(i));
            }
        }
    }

    @Test
    void topicsAndLeadershipOnOneNode() {
        try (LocalBus bus = new LocalBus()) {
            List<String> a = new ArrayList<>();
            List<String> b = new ArrayList<>();
            Topic ta = bus.topic("ticks", a::add);
            Topic tb = bus.topic("ticks", b::add);
            assertTrue(ta.publish("one"));
            tb.close();
            ta.publish("two");
            assertEquals(List.of("one", "two"), a);
            assertEquals(List.of("one"), b);

            AtomicInteger elected = new AtomicInteger();
            AtomicInteger demoted = new AtomicInteger();
            Leadership leadership = bus.lead("feed", new Leadership.Listener() {
                @Override
                public void elected() {
                    elected.incrementAndGet();
                }

                @Override
                public void demoted() {
                    demoted.incrementAndGet();
                }
            });
            assertTrue(leadership.isLeader());
            leadership.close();
            leadership.close();
            assertFalse(leadership.isLeader());
            assertEquals(1, elected.get());
            assertEquals(1, demoted.get());
            assertFalse(bus.clustered());
        }
    }
}
