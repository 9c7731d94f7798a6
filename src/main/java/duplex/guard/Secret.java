package duplex.guard;

/**
 * A knob's value that must never be printed: the settings are logged at start, and a record
 * prints its components. Empty means unset.
 */
public record Secret(String value) {

    public Secret {
        value = value == null ? "" : value;
    }

    public boolean isSet() {
        return !value.isEmpty();
    }

    @Override
    public String toString() {
        return isSet() ? "(set)" : "(none)";
    }
}
