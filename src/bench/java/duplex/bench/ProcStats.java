package duplex.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/** What the harness reads about a server process from Linux (/proc) and, for JVMs, jcmd. */
final class ProcStats {

    private static final long CLOCK_TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux we run on
    private static final Pattern HEAP_USED = Pattern.compile("(?m)^\\s*\\S.*heap\\s+total\\s+\\d+K,\\s+used\\s+(\\d+)K");

    private ProcStats() {
    }

    /** User + system CPU time of the process, in nanoseconds. */
    static long cpuNanos(long pid) {
        return ticksNanos(pid, true);
    }

    /** System (kernel) CPU time of the process alone, in nanoseconds: syscalls, wake-ups, the TCP stack. */
    static long systemNanos(long pid) {
        return ticksNanos(pid, false);
    }

    private static long ticksNanos(long pid, boolean withUser) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = (withUser ? Long.parseLong(fields[11]) : 0) + Long.parseLong(fields[12]);
            return ticks * (1_000_000_000L / CLOCK_TICKS_PER_SECOND);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Resident set size in bytes. */
    static long rssBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process is gone
        }
        return -1;
    }

    /**
     * Collects garbage in the server: jcmd GC.run for a JVM, SIGUSR2 for our node and Tornado
     * scripts (they call gc() on it). Returns the JVM's heap in use after the GC, or -1.
     */
    static long gcAndHeapUsed(long pid, boolean jvm) {
        if (!jvm) {
            run(List.of("kill", "-USR2", String.valueOf(pid)));
            Engine.sleepMillis(500);
            return -1;
        }
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        run(List.of(jcmd, String.valueOf(pid), "GC.run"));
        String info = run(List.of(jcmd, String.valueOf(pid), "GC.heap_info"));
        String used = Targets.firstGroup(HEAP_USED, info);
        return used == null ? -1 : Long.parseLong(used) * 1024;
    }

    static String run(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            process.waitFor(60, TimeUnit.SECONDS);
            return output;
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
