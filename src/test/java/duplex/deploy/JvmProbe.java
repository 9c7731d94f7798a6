package duplex.deploy;

import duplex.testing.ChildProcess;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a server process's JVM says about itself, through {@code jcmd} of the JDK running the
 * tests: heap in use after a full collection, and its threads with their CPU time and stacks.
 */
final class JvmProbe {

    private static final Path JCMD = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");
    private static final Pattern THREAD = Pattern.compile("^\"(.*)\" .*\\bcpu=([0-9.]+)ms\\b.*$", Pattern.MULTILINE);

    /** One thread in a dump: its name, CPU time so far, and its state and stack as printed. */
    record ThreadInfo(String name, double cpuMillis, String stack) {
        boolean runnable() {
            return stack.contains("java.lang.Thread.State: RUNNABLE");
        }
    }

    private final long pid;

    JvmProbe(long pid) {
        this.pid = pid;
    }

    /** Heap in use, in bytes, right after a full collection ({@code GC.run}, then {@code GC.heap_info}). */
    long heapUsedAfterFullGc() {
        jcmd("GC.run");
        Matcher used = HEAP_USED.matcher(jcmd("GC.heap_info"));
        if (!used.find()) {
            throw new IllegalStateException("no heap figure from jcmd GC.heap_info");
        }
        return Long.parseLong(used.group(1)) * 1024;
    }

    /** Every Java thread of the process, from {@code Thread.print}. */
    List<ThreadInfo> threads() {
        String dump = jcmd("Thread.print");
        List<ThreadInfo> threads = new ArrayList<>();
        Matcher m = THREAD.matcher(dump);
        List<int[]> starts = new ArrayList<>();
        List<String[]> heads = new ArrayList<>();
        while (m.find()) {
            starts.add(new int[] {m.start()});
            heads.add(new String[] {m.group(1), m.group(2)});
        }
        for (int i = 0; i < starts.size(); i++) {
            int from = starts.get(i)[0];
            int to = i + 1 < starts.size() ? starts.get(i + 1)[0] : dump.length();
            threads.add(new ThreadInfo(heads.get(i)[0], Double.parseDouble(heads.get(i)[1]), dump.substring(from, to)));
        }
        return threads;
    }

    /**
     * Threads running Java code that used more than {@code maxShare} of a core between two dumps
     * {@code gapMillis} apart, or that sit RUNNABLE in a spin (Tomcat's wait for a message part, a yield loop), with
     * their stacks: none should exist on an idle server.
     */
    List<String> spinning(long gapMillis, double maxShare) throws InterruptedException {
        Map<String, Double> before = new HashMap<>();
        for (ThreadInfo t : threads()) {
            before.merge(t.name(), t.cpuMillis(), Math::max);
        }
        long began = System.nanoTime();
        TimeUnit.MILLISECONDS.sleep(gapMillis); // the measuring interval itself, not a wait for a condition
        List<ThreadInfo> after = threads();
        double elapsedMillis = (System.nanoTime() - began) / 1e6;
        List<String> spinning = new ArrayList<>();
        for (ThreadInfo t : after) {
            if (!t.stack().contains("\tat ")) {
                continue; // no Java frames: the JIT's compiler threads, the VM's own; not application work
            }
            double used = t.cpuMillis() - before.getOrDefault(t.name(), 0.0);
            boolean spin = t.runnable() && (t.stack().contains("acquireMessagePartInProgressSemaphore")
                    || t.stack().contains("java.lang.Thread.yield"));
            if (used > maxShare * elapsedMillis || spin) {
                spinning.add(String.format(java.util.Locale.ROOT, "%s used %.0f ms of %.0f ms:%n%s", t.name(), used, elapsedMillis,
                        t.stack().lines().limit(12).reduce((a, b) -> a + System.lineSeparator() + b).orElse("")));
            }
        }
        return spinning;
    }

    private String jcmd(String command) {
        return ChildProcess.run("jcmd", List.of(JCMD.toString(), Long.toString(pid), command), Duration.ofSeconds(60));
    }
}
