package duplex.deploy;

import duplex.testing.RawWebSocket;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Someone who has nothing to do with a storm: every 100 ms it asks {@code GET /health} and sends
 * one message on its own {@code /echo} connection, each on its own thread, and keeps how long
 * every answer took. A probe that gets no answer is given up after {@link #GIVE_UP} and counted
 * as that long, so a stalled server shows as one long probe, not as a gap.
 */
final class Bystander implements AutoCloseable {

    static final Duration GIVE_UP = Duration.ofSeconds(60);

    /** One probe: when it started (nanoTime) and how long until its answer (or until given up). */
    record Probe(long startedNanos, long tookNanos, boolean answered) {
    }

    private final ScheduledExecutorService probes = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "bystander");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(GIVE_UP).build();
    private final URI health;
    private final URI echo;
    private RawWebSocket echoSocket;
    private int echoes;
    final List<Probe> healthProbes = new CopyOnWriteArrayList<>();
    final List<Probe> echoProbes = new CopyOnWriteArrayList<>();

    Bystander(URI base) {
        this.health = base.resolve("health");
        this.echo = URI.create(base.resolve("echo").toString().replaceFirst("^http", "ws"));
        probes.scheduleWithFixedDelay(this::probeHealth, 0, 100, TimeUnit.MILLISECONDS);
        probes.scheduleWithFixedDelay(this::probeEcho, 0, 100, TimeUnit.MILLISECONDS);
    }

    /** Why probes failed, the first few. */
    final List<String> failures = new CopyOnWriteArrayList<>();

    private void failure(String why) {
        if (failures.size() < 10) {
            failures.add(why);
        }
    }

    private void probeHealth() {
        long start = System.nanoTime();
        boolean ok;
        try {
            HttpRequest request = HttpRequest.newBuilder(health).timeout(GIVE_UP).build();
            int status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
            ok = status == 200;
            if (!ok) {
                failure("/health answered " + status);
            }
        } catch (IOException e) {
            ok = false;
            failure("/health: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        healthProbes.add(new Probe(start, System.nanoTime() - start, ok));
    }

    private void probeEcho() {
        long start = System.nanoTime();
        boolean ok = false;
        try {
            if (echoSocket == null) {
                echoSocket = RawWebSocket.connect(echo);
                if (echoSocket.handshake(echo, Map.of("Sec-WebSocket-Protocol", "echo")).status() != 101) {
                    echoSocket.close();
                    echoSocket = null;
                }
            }
            if (echoSocket != null) {
                String text = "bystander " + echoes++;
                echoSocket.sendText(text);
                RawWebSocket.Frame frame = echoSocket.readFrame(GIVE_UP);
                while (frame != null && frame.opcode() == RawWebSocket.PING) {
                    echoSocket.send(RawWebSocket.PONG, frame.payload()); // the server's heartbeat
                    frame = echoSocket.readFrame(GIVE_UP);
                }
                ok = frame != null && text.equals(frame.text());
            }
            if (!ok) {
                failure("/echo: no echo");
            }
        } catch (RuntimeException | AssertionError e) {
            ok = false;
            failure("/echo: " + e);
        }
        if (!ok && echoSocket != null) {
            echoSocket.close();
            echoSocket = null; // a new connection next time: a new handshake is part of what is probed
        }
        echoProbes.add(new Probe(start, System.nanoTime() - start, ok));
    }

    /** The longest answer (or failure) among probes started at or after {@code fromNanos}. */
    static Duration worst(List<Probe> probes, long fromNanos) {
        return Duration.ofNanos(probes.stream().filter(p -> p.startedNanos() >= fromNanos)
                .mapToLong(p -> p.answered() ? p.tookNanos() : Math.max(p.tookNanos(), GIVE_UP.toNanos())).max().orElse(0));
    }

    static long failed(List<Probe> probes, long fromNanos) {
        return probes.stream().filter(p -> p.startedNanos() >= fromNanos && !p.answered()).count();
    }

    /** Waits until a probe started at or after {@code nanos} has finished, so a window's worst is known. */
    boolean probedSince(long nanos) {
        return healthProbes.stream().anyMatch(p -> p.startedNanos() >= nanos) && echoProbes.stream().anyMatch(p -> p.startedNanos() >= nanos);
    }

    @Override
    public void close() {
        probes.shutdownNow();
        if (echoSocket != null) {
            echoSocket.close();
        }
    }
}
