package duplex.quotes;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;

/**
 * One symbol's price at one moment. Money is {@link BigDecimal} end to end and travels as a
 * decimal string, so no binary floating point ever rounds a price on the way.
 *
 * @param symbol the ticker, for example {@code ACME}
 * @param price  the last price, two decimal places
 * @param change the price minus the symbol's opening price; a state, not a delta between ticks,
 *               so a client that missed (conflated) ticks still shows the right figure
 * @param ts     when the price was set
 */
public record Quote(String symbol, BigDecimal price, BigDecimal change, Instant ts) {

    public Quote {
        Objects.requireNonNull(symbol, "symbol");
        Objects.requireNonNull(price, "price");
        Objects.requireNonNull(change, "change");
        Objects.requireNonNull(ts, "ts");
    }

    /** The change as shown on the wire: {@code +0.12}, {@code -1.05}, or {@code 0.00}. */
    public String signedChange() {
        String plain = change.toPlainString();
        return change.signum() > 0 ? "+" + plain : plain;
    }
}
