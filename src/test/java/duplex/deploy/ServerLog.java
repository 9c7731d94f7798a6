package duplex.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What a server's log must not contain after Duplex was deployed, used and undeployed there:
 * errors from our code, threads or thread-locals left behind on undeploy, and class-loading
 * conflicts (Parsson and jakarta.json-api in the WAR against a server's own JSON-P).
 *
 * <p>The log is read as records: a line that starts a log entry, and the lines after it that do
 * not (stack traces, wrapped messages), so a SEVERE whose stack trace runs through {@code duplex.}
 * counts as ours.
 */
public final class ServerLog {

    /** A line that starts a record: a Tomcat one-line date or a Payara/GlassFish bracketed date. */
    private static final Pattern RECORD_START = Pattern.compile("^(\\d{2}-\\w{3}-\\d{4} \\d|\\[\\d{4}-\\d{2}-\\d{2}T|\\d{4}-\\d{2}-\\d{2}[ T]\\d)");
    private static final Pattern ERROR_LEVEL = Pattern.compile("\\b(SEVERE|ERROR|FATAL)\\b");
    /** A class of ours (duplex.echo.EchoEndpoint, any feature package), or our context named by the server. */
    private static final Pattern OUR_CODE = Pattern.compile("\\bduplex\\.[a-z]+\\.[A-Z]|\\[/?duplex]");

    /** Tomcat's leak detection on undeploy (WebappClassLoaderBase) and its kin. */
    private static final List<String> LEAKS = List.of(
            "appears to have started a thread named",
            "failed to stop it",
            "created a ThreadLocal",
            "memory leak",
            "failed to unregister it",
            "still processing a request that has yet to finish");

    /** How a clash between two copies of an API, or a missing provider, shows in a log. */
    private static final List<String> CLASSLOADING = List.of(
            "LinkageError",
            "loader constraint violation",
            "NoClassDefFoundError",
            "IncompatibleClassChangeError",
            "ServiceConfigurationError",
            "JsonProviderImpl not found",
            "JsonException: Provider");

    public enum Kind { ERROR_FROM_OUR_CODE, LEAK_ON_UNDEPLOY, CLASSLOADING_CONFLICT, SEVERE }

    public record Problem(Kind kind, String record) {
        @Override
        public String toString() {
            return kind + ": " + record;
        }
    }

    private ServerLog() {
    }

    /**
     * The problems in a log. With {@code anySevere}, any SEVERE/ERROR record counts (for servers
     * whose clean start logs none, such as Tomcat); without, only those from our code.
     */
    public static List<Problem> problems(List<String> lines, boolean anySevere) {
        List<Problem> problems = new ArrayList<>();
        for (String record : records(lines)) {
            String firstLine = record.lines().findFirst().orElse("");
            boolean error = ERROR_LEVEL.matcher(firstLine).find();
            if (LEAKS.stream().anyMatch(record::contains)) {
                problems.add(new Problem(Kind.LEAK_ON_UNDEPLOY, record));
            } else if (CLASSLOADING.stream().anyMatch(record::contains)
                    || (record.contains("ClassCastException") && record.toLowerCase(Locale.ROOT).contains("json"))) {
                problems.add(new Problem(Kind.CLASSLOADING_CONFLICT, record));
            } else if (error && OUR_CODE.matcher(record).find()) {
                problems.add(new Problem(Kind.ERROR_FROM_OUR_CODE, record));
            } else if (error && anySevere) {
                problems.add(new Problem(Kind.SEVERE, record));
            }
        }
        return problems;
    }

    static List<String> records(List<String> lines) {
        List<String> records = new ArrayList<>();
        StringBuilder current = null;
        for (String line : lines) {
            if (current == null || RECORD_START.matcher(line).find()) {
                if (current != null) {
                    records.add(current.toString());
                }
                current = new StringBuilder(line);
            } else {
                current.append('\n').append(line);
            }
        }
        if (current != null) {
            records.add(current.toString());
        }
        return records;
    }

    /** The problems as a message for a failed assertion, with where the log is. */
    public static String describe(ServerProcess server, List<Problem> problems) {
        StringBuilder message = new StringBuilder(server.name() + ": " + problems.size() + " problem(s) in " + server.log() + ":");
        problems.stream().limit(10).forEach(p -> message.append("\n  ").append(p.toString().replace("\n", "\n    ")));
        return message.toString();
    }
}
