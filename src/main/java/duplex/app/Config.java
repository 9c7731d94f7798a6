package duplex.app;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Where a knob's value comes from, in order: system property ({@code duplex.echo.max-text-bytes}),
 * environment variable ({@code DUPLEX_ECHO_MAX_TEXT_BYTES}), web.xml context parameter (same name
 * as the system property), then the default. A value that does not parse, or is out of range,
 * fails with a message naming the knob, so a bad deployment stops at start instead of later.
 */
public final class Config {

    private final Function<String, String> systemProperties;
    private final Function<String, String> environment;
    private final Function<String, String> contextParameters;

    public Config(Function<String, String> systemProperties,
                  Function<String, String> environment,
                  Function<String, String> contextParameters) {
        this.systemProperties = systemProperties;
        this.environment = environment;
        this.contextParameters = contextParameters;
    }

    /** The running JVM's properties and environment, plus the web application's context parameters. */
    public static Config fromPlatform(Function<String, String> contextParameters) {
        return new Config(System::getProperty, System::getenv, contextParameters);
    }

    /** Only the given values (and defaults): for tests and embedded use. */
    public static Config of(Map<String, String> values) {
        return new Config(values::get, name -> null, name -> null);
    }

    public static String environmentName(String knob) {
        return knob.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public Optional<String> raw(String knob) {
        // A blank value counts as unset at every level, so that an empty variable (as
        // docker-compose.yml passes for a knob the user left unset) falls through to the next source.
        return nonBlank(systemProperties.apply(knob))
                .or(() -> nonBlank(environment.apply(environmentName(knob))))
                .or(() -> nonBlank(contextParameters.apply(knob)));
    }

    private static Optional<String> nonBlank(String value) {
        return Optional.ofNullable(value).map(String::trim).filter(v -> !v.isEmpty());
    }

    public String string(String knob, String defaultValue) {
        return raw(knob).orElse(defaultValue);
    }

    public int integer(String knob, int defaultValue, int min, int max) {
        long value = longValue(knob, defaultValue, min, max);
        return (int) value;
    }

    public long longValue(String knob, long defaultValue, long min, long max) {
        Optional<String> raw = raw(knob);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        long value;
        try {
            value = Long.parseLong(raw.get().replace("_", ""));
        } catch (NumberFormatException e) {
            throw invalid(knob, raw.get(), "a whole number");
        }
        if (value < min || value > max) {
            throw invalid(knob, raw.get(), "a number from " + min + " to " + max);
        }
        return value;
    }

    public double decimal(String knob, double defaultValue, double min, double max) {
        Optional<String> raw = raw(knob);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        double value;
        try {
            value = Double.parseDouble(raw.get());
        } catch (NumberFormatException e) {
            throw invalid(knob, raw.get(), "a number");
        }
        if (!(value >= min && value <= max)) {
            throw invalid(knob, raw.get(), "a number from " + min + " to " + max);
        }
        return value;
    }

    /** A switch: {@code on} or {@code off} ({@code true}/{@code false} also read), any case. */
    public boolean onOff(String knob, boolean defaultValue) {
        Optional<String> raw = raw(knob);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        return switch (raw.get().toLowerCase(Locale.ROOT)) {
            case "on", "true" -> true;
            case "off", "false" -> false;
            default -> throw invalid(knob, raw.get(), "on or off");
        };
    }

    /** Durations are ISO-8601 ({@code PT30S}), a number with a unit ({@code 250ms}, {@code 30s}, {@code 5m}, {@code 1h}), or 0. */
    public Duration duration(String knob, Duration defaultValue, Duration min, Duration max) {
        Optional<String> raw = raw(knob);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        Duration value = parseDuration(raw.get());
        if (value == null) {
            throw invalid(knob, raw.get(), "a duration such as 250ms, 30s, 5m or PT5M");
        }
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw invalid(knob, raw.get(), "a duration from " + min + " to " + max);
        }
        return value;
    }

    static Duration parseDuration(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        try {
            if (s.startsWith("pt") || s.startsWith("p")) {
                return Duration.parse(s.toUpperCase(Locale.ROOT));
            }
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2).trim()));
            }
            long amount = Long.parseLong(s.substring(0, s.length() - 1).trim());
            return switch (s.charAt(s.length() - 1)) {
                case 's' -> Duration.ofSeconds(amount);
                case 'm' -> Duration.ofMinutes(amount);
                case 'h' -> Duration.ofHours(amount);
                default -> null;
            };
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static IllegalArgumentException invalid(String knob, String value, String expected) {
        return new IllegalArgumentException("Invalid value '" + value + "' for " + knob
                + " (environment " + environmentName(knob) + "): expected " + expected);
    }
}
