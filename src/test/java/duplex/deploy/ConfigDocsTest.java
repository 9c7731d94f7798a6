package duplex.deploy;

import duplex.app.Config;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The configuration table in docs/configuration.md is the one complete list: every knob the code reads, no other. */
class ConfigDocsTest {

    @Test
    void theConfigurationTableListsExactlyTheKnobsTheCodeReads() {
        Set<String> read = new TreeSet<>(Knobs.readByTheCode());
        assertFalse(read.isEmpty());
        assertEquals(read, new TreeSet<>(Knobs.documented().keySet()),
                "docs/configuration.md's configuration table must have one row per knob Settings.load reads (a knob added to "
                        + "Settings needs its row; a row for a knob that is gone must go)");
    }

    @Test
    void theConfigurationTableGivesEachKnobTheEnvironmentNameTheCodeUses() {
        for (Map.Entry<String, String> row : Knobs.documented().entrySet()) {
            assertEquals(Config.environmentName(row.getKey()), row.getValue(), "environment variable of " + row.getKey());
        }
    }
}
