package dev.jdd.common;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import java.io.IOException;
import java.util.Map;

/**
 * Body of the agent's {@code POST /v1/captures}, read and written with {@link Json}: unknown fields are ignored,
 * null fields left out. Missing fields are null: whether the names are there and valid is the agent's check, not
 * the wire form's. {@code alert} may be null.
 */
public record CaptureRequest(String namespace, String pod, String container, Alert alert) {
    /** Characters of an alert's name and value the agent keeps (its dump header cuts them there). */
    public static final int ALERT_TEXT_MAX = 512;


    /** What fired: only ever written into the dump header, never near a shell. */
    public record Alert(String name, @JsonDeserialize(using = TextOrNumber.class) String value, Map<String, String> labels) {
    }

    /** {@code alert.value} may also come as a JSON number (the alert's numeric value); it is kept as its text. */
    static final class TextOrNumber extends StdDeserializer<String> {
        TextOrNumber() {
            super(String.class);
        }

        @Override
        public String deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonToken token = p.currentToken();
            if (token == JsonToken.VALUE_STRING || token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT) {
                return p.getText();
            }
            return (String) ctxt.handleUnexpectedToken(String.class, p);
        }
    }
}
