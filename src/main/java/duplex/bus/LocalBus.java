package duplex.bus;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The bus of a single node: everything stays in this JVM, a post is handed to the room as it is
 * (nothing encoded), and it has its seq when {@link RoomLink#post} returns. The default; nothing
 * to install.
 */
public final class LocalBus implements Bus {

    private static final System.Logger LOG = System.getLogger(LocalBus.class.getName());
    private static final String NODE = "local";

    private final Map<String, LocalLink> links = new ConcurrentHashMap<>();
    private final Map<String, List<Consumer<String>>> topics = new ConcurrentHashMap<>();

    @Override
    public RoomLink link(String room, int historySize, RoomListener listener) {
        LocalLink link = new LocalLink(new RoomState(room, listener));
        if (links.putIfAbsent(room, link) != null) {
            throw new IllegalStateException("room " + room + " is already linked on this node");
        }
        // A room this node has not hosted, or dropped, starts again: nothing is kept elsewhere.
        link.state.load(0, List.of(), List.of(), RoomSnapshot.newEpoch());
        return link;
    }

    @Override
    public Topic topic(String name, Consumer<String> receiver) {
        List<Consumer<String>> receivers = topics.computeIfAbsent(name, n -> new CopyOnWriteArrayList<>());
        receivers.add(receiver);
        return new Topic() {
            @Override
            public boolean publish(String message) {
                // One call at a time per topic, as with Redis, whatever thread publishes.
                synchronized (receivers) {
                    for (Consumer<String> r : receivers) {
                        try {
                            r.accept(message);
                        } catch (RuntimeException e) {
                            LOG.log(System.Logger.Level.WARNING, "topic {0}: receiver failed: {1}", name, e.toString());
                        }
                    }
                }
                return true;
            }

            @Override
            public void close() {
                receivers.remove(receiver);
            }
        };
    }

    /** A single node always leads. */
    @Override
    public Leadership lead(String name, Leadership.Listener listener) {
        listener.elected();
        return new Leadership() {
            private boolean leading = true;

            @Override
            public synchronized boolean isLeader() {
                return leading;
            }

            @Override
            public synchronized void close() {
                if (leading) {
                    leading = false;
                    listener.demoted();
                }
            }
        };
    }

    @Override
    public String nodeId() {
        return NODE;
    }

    @Override
    public BusStatus status() {
        return BusStatus.LOCAL;
    }

    @Override
    public boolean clustered() {
        return false;
    }

    @Override
    public void close() {
        links.clear();
        topics.clear();
    }

    private final class LocalLink implements RoomLink {
        private final RoomState state;

        LocalLink(RoomState state) {
            this.state = state;
        }

        @Override
        public CompletableFuture<Long> post(Post post) {
            return CompletableFuture.completedFuture(state.postNext(post));
        }

        @Override
        public void join(Member member) {
            state.joined(member, NODE);
        }

        @Override
        public void leave(Member member) {
            state.left(member.id());
        }

        @Override
        public void rename(Member member, String previousName) {
            state.renamed(member, NODE, previousName);
        }

        @Override
        public List<Member> members() {
            return state.members();
        }

        @Override
        public long lastSeq() {
            return state.lastSeq();
        }

        @Override
        public void close() {
            links.remove(state.room(), this);
        }
    }
}
