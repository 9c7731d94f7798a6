package duplex.live;

import duplex.protocol.Jsons;
import duplex.testing.WsClient;
import jakarta.json.JsonObject;

import java.io.StringReader;
import java.net.URI;

/** A /live connection for tests: sends requests, reads the server's messages as JSON objects. */
final class LiveClient implements AutoCloseable {

    final WsClient ws;

    private LiveClient(WsClient ws) {
        this.ws = ws;
    }

    static LiveClient connect(URI uri) {
        return new LiveClient(WsClient.connect(uri));
    }

    void send(String json) {
        ws.send(json);
    }

    void subscribe(String channel) {
        send("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\"}");
    }

    void subscribe(String channel, long seq, String epoch) {
        send("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\",\"since\":{\"seq\":" + seq + ",\"epoch\":\"" + epoch + "\"}}");
    }

    void publish(String channel, String data, String id) {
        send("{\"type\":\"publish\",\"channel\":\"" + channel + "\",\"data\":" + data + ",\"id\":\"" + id + "\"}");
    }

    JsonObject next() {
        try (var reader = Jsons.createReader(new StringReader(ws.nextText()))) {
            return reader.readObject();
        }
    }

    /** The next message, which must be of this type. */
    JsonObject next(String type) {
        JsonObject message = next();
        if (!type.equals(message.getString("type"))) {
            throw new AssertionError("expected " + type + ", got " + message);
        }
        return message;
    }

    @Override
    public void close() {
        ws.close();
    }
}
