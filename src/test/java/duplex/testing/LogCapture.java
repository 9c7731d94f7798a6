package duplex.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Every record logged in this JVM (the application's, Tomcat's, Tyrus's: all go through
 * java.util.logging) while it is open; the named loggers are let through at INFO meanwhile.
 */
public final class LogCapture implements AutoCloseable {

    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final List<Logger> raised = new ArrayList<>();
    private final List<Level> previous = new ArrayList<>();

    public LogCapture(String... infoLoggers) {
        handler.setLevel(Level.ALL);
        for (String name : infoLoggers) {
            Logger logger = Logger.getLogger(name);
            raised.add(logger);
            previous.add(logger.getLevel());
            logger.setLevel(Level.INFO);
        }
        Logger.getLogger("").addHandler(handler);
    }

    public List<LogRecord> records() {
        return List.copyOf(records);
    }

    /** The records at SEVERE, and any record carrying a stack trace. */
    public List<String> severeOrStackTraces() {
        SimpleFormatter formatter = new SimpleFormatter();
        return records.stream().filter(r -> r.getLevel().intValue() >= Level.SEVERE.intValue() || r.getThrown() != null)
                .map(formatter::format).toList();
    }

    /** Every message, formatted with its parameters. */
    public List<String> messages() {
        SimpleFormatter formatter = new SimpleFormatter();
        return records.stream().map(formatter::formatMessage).toList();
    }

    @Override
    public void close() {
        Logger.getLogger("").removeHandler(handler);
        for (int i = 0; i < raised.size(); i++) {
            raised.get(i).setLevel(previous.get(i));
        }
    }
}
