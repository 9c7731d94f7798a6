package duplex.bus;

import duplex.protocol.Jsons;
import io.lettuce.core.ScriptOutputType;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;

import java.io.StringReader;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Predicate;

/**
 * One room's link to Redis: {@code duplex:room:R:seq}, {@code :log}, {@code :members} and the
 * channel {@code duplex:room:R}. It owns the room's snapshot, its posts, the catch-up from the
 * log after a gap or a reconnect, the presence scripts and their sync, and how a post and a
 * member's name are written in Redis.
 */
final class RedisRoomLink implements RoomLink {

    private static final System.Logger LOG = System.getLogger(RedisBus.class.getName());
    static final String ROOM_PREFIX = RedisConnection.PREFIX + "room:";
    /** Rooms nobody posts to for this long are forgotten by Redis. */
    private static final long ROOM_TTL_SECONDS = Duration.ofDays(7).toSeconds();
    private static final int MIN_LOG = 100;

    private final RedisConnection redis;
    private final Executor events;
    /** Removes this link from its bus; true the first time. */
    private final Predicate<RedisRoomLink> unlink;
    private final String nodeId;
    private final String room;
    private final RoomState state;
    private final int historySize;
    /** The stream keeps at least MIN_LOG messages, so a node can fill a gap even with no history. */
    private final int logLength;
    private final String channel;
    private final String seqKey;
    private final String logKey;
    private final String membersKey;
    private final String epochKey;
    private volatile boolean ready;
    /** A heartbeat sync of this room is out (sent, not yet answered). */
    private final java.util.concurrent.atomic.AtomicBoolean syncing = new java.util.concurrent.atomic.AtomicBoolean();

    RedisRoomLink(RedisConnection redis, Executor events, String room, int historySize, RoomListener listener,
                  Predicate<RedisRoomLink> unlink) {
        this.redis = redis;
        this.events = events;
        this.unlink = unlink;
        this.nodeId = redis.nodeId();
        this.room = room;
        this.state = new RoomState(room, listener);
        this.historySize = historySize;
        this.logLength = Math.max(historySize, MIN_LOG);
        this.channel = ROOM_PREFIX + room;
        this.seqKey = channel + ":seq";
        this.logKey = channel + ":log";
        this.membersKey = channel + ":members";
        this.epochKey = channel + ":epoch";
    }

    String room() {
        return room;
    }

    String channel() {
        return channel;
    }

    /** The room a channel of {@link #ROOM_PREFIX} is for. */
    static String roomOf(String channel) {
        return channel.substring(ROOM_PREFIX.length());
    }

    /** True once loaded, until closed. */
    boolean ready() {
        return ready;
    }

    /** On the events thread. */
    void load() {
        List<Object> result = RedisBus.SNAPSHOT.call(redis, ScriptOutputType.MULTI,
                new String[] {seqKey, logKey, membersKey, epochKey}, String.valueOf(historySize), RedisConnection.NODE_PREFIX,
                RoomSnapshot.newEpoch(), String.valueOf(ROOM_TTL_SECONDS));
        long seq = (Long) result.get(0);
        List<Posted> recent = new ArrayList<>(entries(result.get(1)));
        java.util.Collections.reverse(recent);
        // This node's own entries are stale leftovers (its live members join through this link).
        List<RoomState.Present> others = present(result.get(2)).stream().filter(p -> !p.node().equals(nodeId)).toList();
        state.load(seq, recent, others, (String) result.get(3));
        ready = true;
    }

    @Override
    public CompletableFuture<Long> post(Post post) {
        String floor = String.valueOf(state.lastSeq());
        String body = stored(post);
        return redis.onBus(() -> RedisBus.POST.callAsync(redis.api(), ScriptOutputType.INTEGER, new String[] {seqKey, logKey, channel, epochKey},
                        floor, body, String.valueOf(logLength), String.valueOf(ROOM_TTL_SECONDS)))
                .<Long>thenApply(seq -> (Long) seq)
                .exceptionallyCompose(e -> CompletableFuture.failedFuture(RedisConnection.unavailable("post to " + room, e)));
    }

    @Override
    public void join(Member member) {
        state.joined(member, nodeId);
        fireAndForget(RedisBus.JOIN, new String[] {membersKey, channel}, nodeId, member.id(), label(member));
    }

    @Override
    public void leave(Member member) {
        state.left(member.id());
        fireAndForget(RedisBus.LEAVE, new String[] {membersKey, channel}, nodeId, member.id(), label(member));
    }

    @Override
    public void rename(Member member, String previousName) {
        state.renamed(member, nodeId, previousName);
        fireAndForget(RedisBus.RENAME, new String[] {membersKey, channel}, nodeId, member.id(), label(member), previousName);
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
        if (unlink.test(this)) {
            ready = false;
            redis.unsubscribe(channel);
            // Whatever this node still had there is removed. If Redis is down, the others
            // drop it once this node's key expires, or this node's next sync does.
            fireAndForget(RedisBus.SYNC, new String[] {membersKey, channel}, syncArgs(List.of()));
        }
    }

    /** An event from the channel, on the events thread. */
    void onEvent(String message) {
        if (!ready) {
            return; // arrived before the snapshot, which already contains it
        }
        String[] parts = message.split("\n", 3);
        switch (parts[0]) {
            case "P" -> {
                Posted posted = posted(Long.parseLong(parts[1]), parts[2]);
                if (posted != null) {
                    onPosted(posted);
                }
            }
            case "J", "L", "R" -> onPresence(message);
            default -> LOG.log(System.Logger.Level.DEBUG, "room {0}: unknown event {1}", room, parts[0]);
        }
    }

    private void onPosted(Posted posted) {
        if (state.posted(posted) == RoomState.Outcome.GAP) {
            catchUp();
            if (state.posted(posted) == RoomState.Outcome.GAP) {
                state.postedAfterLoss(posted);
            }
        }
    }

    private void onPresence(String message) {
        String[] p = message.split("\n", -1);
        if (p.length < 4 || p[1].equals(nodeId)) {
            return; // this node's own changes were applied when they happened
        }
        Member member = member(p[2], p[3]);
        switch (p[0]) {
            case "J" -> state.joined(member, p[1]);
            case "L" -> state.left(member.id());
            case "R" -> state.renamed(member, p[1], p.length > 4 ? p[4] : "");
            default -> { }
        }
    }

    /** Delivers what the log has after our last seq; on the events thread. */
    void catchUp() {
        try {
            List<Object> raw = redis.await(redis.api().xrange(logKey, io.lettuce.core.Range.create(
                    (state.lastSeq() + 1) + "-0", "+")).toCompletableFuture().thenApply(list -> {
                List<Object> out = new ArrayList<>();
                for (var m : list) {
                    Posted posted = posted(Long.parseLong(m.getId().substring(0, m.getId().indexOf('-'))), m.getBody().get("b"));
                    if (posted != null) {
                        out.add(posted);
                    }
                }
                return out;
            }));
            for (Object o : raw) {
                // Only what continues our sequence: if the log starts later (trimmed), the
                // channel still has the messages in between queued behind this task, or
                // onPosted declares them lost when the next one arrives.
                if (state.posted((Posted) o) == RoomState.Outcome.GAP) {
                    break;
                }
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "room {0}: catch-up failed: {1}", room, e.toString());
        }
    }

    /**
     * Heartbeat: re-announce our members, drop dead nodes' members, reconcile our view. Our
     * members are read on the commands thread, in line with the join, leave and rename scripts
     * queued there: read earlier, a leave or rename queued in between would be undone by this
     * sync (a ghost member, or the old name back). Never waits: the answer is applied on the
     * events thread, then {@code after} runs there (null: nothing); the returned future says
     * how it went. While one sync of this room is still out, the next heartbeat's is skipped.
     */
    @SuppressWarnings("unchecked")
    CompletableFuture<Void> sync(Runnable after) {
        if (!syncing.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> synced = redis.onBus(() -> RedisBus.SYNC.callAsync(redis.api(), ScriptOutputType.MULTI,
                new String[] {membersKey, channel}, syncArgs(state.membersOf(nodeId)))).thenAccept(result -> {
                    if (ready) {
                        List<RoomState.Present> snapshot = present((List<Object>) result);
                        long now = System.nanoTime();
                        events.execute(() -> state.reconcile(nodeId, snapshot, now, redis.options().nodeTimeout().toNanos()));
                    }
                    if (after != null) {
                        events.execute(after);
                    }
                });
        return synced.whenComplete((ignored, failure) -> syncing.set(false));
    }

    private void fireAndForget(RedisScript script, String[] keys, String... args) {
        redis.onBus(() -> script.callAsync(redis.api(), ScriptOutputType.INTEGER, keys, args)).exceptionally(e -> {
            // The heartbeat re-announces this node's members; nothing is lost for long.
            LOG.log(System.Logger.Level.DEBUG, "presence update deferred: {0}", e.toString());
            return null;
        });
    }

    private String[] syncArgs(List<Member> mine) {
        String[] args = new String[3 + 2 * mine.size()];
        args[0] = nodeId;
        args[1] = RedisConnection.NODE_PREFIX;
        args[2] = String.valueOf(redis.options().nodeTimeout().toMillis());
        int i = 3;
        for (Member m : mine) {
            args[i++] = m.id();
            args[i++] = label(m);
        }
        return args;
    }

    /**
     * How a post is stored in the room's log and carried on its channel: one JSON object, read
     * once per node. The field names are the ones every earlier version wrote, so nodes of two
     * versions share a room during a rolling deploy.
     */
    static String stored(Post post) {
        return Jsons.createObjectBuilder()
                .add("id", post.author().id())
                .add("name", post.author().name())
                .add("verified", post.author().verified())
                .add("text", post.body())
                .add("ts", post.at().toString())
                .build()
                .toString();
    }

    /**
     * The inverse of {@link #stored}; null for what no version of Duplex wrote: the message is
     * then treated as lost (the gap that follows says so in the log).
     */
    static Posted posted(long seq, String stored) {
        try (JsonReader reader = Jsons.createReader(new StringReader(stored == null ? "" : stored))) {
            JsonObject o = reader.readObject();
            Member author = new Member(o.getString("id"), o.getString("name"), o.getBoolean("verified", false));
            return new Posted(seq, author, o.getString("text"), Instant.parse(o.getString("ts")));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "message {0} in Redis is unreadable, skipped: {1}", seq, e.toString());
            return null;
        }
    }

    /**
     * How a member's name travels and is stored in Redis (presence hash and events): one mark,
     * {@code +} for a verified login or {@code -} for a chosen name, then the name. Kept in this
     * one place so the Lua scripts carry it as an opaque string.
     */
    static String label(Member member) {
        return (member.verified() ? "+" : "-") + member.name();
    }

    /** The inverse of {@link #label}; a label without a mark is taken as a chosen name. */
    static Member member(String id, String label) {
        if (label.startsWith("+")) {
            return new Member(id, label.substring(1), true);
        }
        return new Member(id, label.startsWith("-") ? label.substring(1) : label, false);
    }

    @SuppressWarnings("unchecked")
    private static List<Posted> entries(Object raw) {
        List<Posted> out = new ArrayList<>();
        for (Object entry : (List<Object>) raw) {
            List<Object> e = (List<Object>) entry;
            String id = (String) e.get(0);
            List<Object> fields = (List<Object>) e.get(1);
            String body = null;
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                if ("b".equals(fields.get(i))) {
                    body = (String) fields.get(i + 1);
                }
            }
            Posted posted = posted(Long.parseLong(id.substring(0, id.indexOf('-'))), body);
            if (posted != null) {
                out.add(posted);
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static List<RoomState.Present> present(Object raw) {
        List<Object> flat = (List<Object>) raw;
        List<RoomState.Present> out = new ArrayList<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            String value = (String) flat.get(i + 1);
            int nl = value.indexOf('\n');
            if (nl > 0) {
                out.add(new RoomState.Present(member((String) flat.get(i), value.substring(nl + 1)), value.substring(0, nl)));
            }
        }
        return out;
    }
}
