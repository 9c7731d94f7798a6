package duplex.deploy;

import duplex.app.Config;
import duplex.app.Settings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The knobs as the code reads them, and as docs/configuration.md documents them. */
final class Knobs {

    private static final Pattern TABLE_ROW = Pattern.compile("^\\| `(duplex\\.[^`]+)` \\| `([A-Z0-9_]+)` \\|");

    private Knobs() {
    }

    /** Every knob {@link Settings#load} reads, found by watching it read them. */
    static Set<String> readByTheCode() {
        Set<String> knobs = new LinkedHashSet<>();
        Settings.load(new Config(name -> {
            knobs.add(name);
            return null;
        }, name -> null, name -> null));
        return knobs;
    }

    /**
     * Knob name to environment variable, from the rows of the configuration table in
     * docs/configuration.md (the README's short table of first knobs is not read).
     */
    static Map<String, String> documented() {
        Map<String, String> rows = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(Path.of("docs/configuration.md"))) {
                Matcher row = TABLE_ROW.matcher(line);
                if (row.find()) {
                    rows.put(row.group(1), row.group(2));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return rows;
    }
}
