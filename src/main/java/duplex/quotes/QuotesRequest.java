package duplex.quotes;

import duplex.protocol.ErrorMessage;

import java.util.List;

/** What a client sends to {@code /quotes}, as decoded by {@link QuotesDecoder}. */
public sealed interface QuotesRequest {

    /** The wildcard symbol: every symbol the feed has. */
    String ALL = "*";

    /** {@code {"type":"subscribe","symbols":["ACME","GLOBEX"]}}; symbols distinct, in the order given. */
    record Subscribe(List<String> symbols) implements QuotesRequest {
        public Subscribe {
            symbols = List.copyOf(symbols);
        }
    }

    /** {@code {"type":"unsubscribe","symbols":["ACME"]}}; symbols distinct, in the order given. */
    record Unsubscribe(List<String> symbols) implements QuotesRequest {
        public Unsubscribe {
            symbols = List.copyOf(symbols);
        }
    }

    /**
     * Input that is not a valid request, with the error to send back. A value rather than a
     * {@code DecodeException}, so that bad input never reaches the container's error path and
     * the connection stays open.
     */
    record Malformed(ErrorMessage error) implements QuotesRequest {
    }
}
