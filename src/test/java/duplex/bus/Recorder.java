package duplex.bus;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A room listener that writes down what it heard, one line per call, for tests to take in order. */
class Recorder implements RoomListener {

    static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    private volatile RoomSnapshot snapshot;

    /** A post by a test member, now. */
    static Post post(String body) {
        return new Post(new Member("test-1", "Test"), body, java.time.Instant.now());
    }

    /** The history of the snapshot the link opened with, as "seq body". */
    List<String> history() {
        return snapshot.history().stream().map(p -> p.seq() + " " + p.body()).toList();
    }

    @Override
    public void loaded(RoomSnapshot snapshot) {
        this.snapshot = snapshot;
    }

    @Override
    public void posted(Posted message) {
        events.add("posted " + message.seq() + " " + message.body());
    }

    @Override
    public void joined(Member member) {
        events.add("joined " + member.id() + " " + member.name());
    }

    @Override
    public void left(Member member) {
        events.add("left " + member.id() + " " + member.name());
    }

    @Override
    public void renamed(Member member, String previousName) {
        events.add("renamed " + member.id() + " " + member.name() + " from " + previousName);
    }

    String next() {
        return next(TIMEOUT);
    }

    String next(Duration timeout) {
        try {
            String event = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (event == null) {
                throw new AssertionError("nothing heard within " + timeout);
            }
            return event;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The next event that starts with {@code prefix}, skipping others. */
    String nextStartingWith(String prefix) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            String event = next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (event.startsWith(prefix)) {
                return event;
            }
        }
        throw new AssertionError("no event starting with '" + prefix + "' within " + TIMEOUT);
    }

    /** The next {@code n} posted events, as "seq body". */
    List<String> posts(int n) {
        List<String> out = new ArrayList<>();
        while (out.size() < n) {
            String event = next();
            if (event.startsWith("posted ")) {
                out.add(event.substring("posted ".length()));
            }
        }
        return out;
    }

    /** Nothing more arrives within {@code quiet}. */
    List<String> drain(Duration quiet) {
        List<String> out = new ArrayList<>();
        try {
            String event;
            while ((event = events.poll(quiet.toMillis(), TimeUnit.MILLISECONDS)) != null) {
                out.add(event);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out;
    }
}
