package duplex.protocol;

import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonBuilderFactory;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonWriter;
import jakarta.json.spi.JsonProvider;
import jakarta.json.stream.JsonParserFactory;

import java.io.OutputStream;
import java.io.Reader;
import java.util.Map;

/**
 * {@link jakarta.json.Json}'s factory methods, with the provider looked up once. Each of
 * {@code Json}'s own methods calls {@link JsonProvider#provider()}, a {@link java.util.ServiceLoader}
 * search of the context class loader: on Tomcat the WAR's jars, on Payara Micro every jar of its
 * runtime as well (profiled there: a tenth of the server's CPU in a join storm, from one
 * {@code Json.createValue} per welcome, and five searches per /health).
 */
public final class Jsons {

    private static final JsonProvider PROVIDER = JsonProvider.provider();

    private Jsons() {
    }

    public static JsonObjectBuilder createObjectBuilder() {
        return PROVIDER.createObjectBuilder();
    }

    public static JsonArrayBuilder createArrayBuilder() {
        return PROVIDER.createArrayBuilder();
    }

    public static JsonString createValue(String value) {
        return PROVIDER.createValue(value);
    }

    public static JsonReader createReader(Reader reader) {
        return PROVIDER.createReader(reader);
    }

    public static JsonWriter createWriter(OutputStream out) {
        return PROVIDER.createWriter(out);
    }

    public static JsonBuilderFactory createBuilderFactory(Map<String, ?> config) {
        return PROVIDER.createBuilderFactory(config);
    }

    public static JsonParserFactory createParserFactory(Map<String, ?> config) {
        return PROVIDER.createParserFactory(config);
    }
}
