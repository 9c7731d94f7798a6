package duplex.quotes;

import duplex.protocol.ErrorMessage;

import java.util.List;

/** What {@code /quotes} sends to a client, as encoded by {@link QuotesEncoder}. */
public sealed interface QuotesEvent {

    /** {@code {"type":"symbols","symbols":[...]}}: sent on open, so a page can list what exists. */
    record Symbols(List<String> symbols) implements QuotesEvent {
        public Symbols {
            symbols = List.copyOf(symbols);
        }
    }

    /** {@code {"type":"snapshot","quotes":[...]}}: the current quotes of the symbols a subscribe added. */
    record Snapshot(List<Quote> quotes) implements QuotesEvent {
        public Snapshot {
            quotes = List.copyOf(quotes);
        }
    }

    /** {@code {"type":"quote","symbol":"ACME","price":"123.45","change":"+0.12","ts":"...Z"}}: one price change. */
    record Update(Quote quote) implements QuotesEvent {
    }

    /** {@code {"type":"unsubscribed","symbols":[...]}}: after it, no quote for these symbols follows. */
    record Unsubscribed(List<String> symbols) implements QuotesEvent {
        public Unsubscribed {
            symbols = List.copyOf(symbols);
        }
    }

    /** The shared {@code {"type":"error",...}} message. */
    record Error(ErrorMessage error) implements QuotesEvent {
    }
}
