package dev.jdd.agent.docker;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** TEMPORARY */
final class EngineJson {
    private static final JsonFactory FACTORY = new JsonFactory();

    private EngineJson() {
    }

    static Object parse(byte[] body) throws IOException {
        try (JsonParser p = FACTORY.createParser(body)) {
            p.nextToken();
            return value(p);
        }
    }

    private static Object value(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == null) {
            throw new IOException("empty");
        }
        switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String k = p.currentName();
                    p.nextToken();
                    m.put(k, value(p));
                }
                return m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    l.add(value(p));
                }
                return l;
            }
            case VALUE_STRING -> {
                return p.getText();
            }
            case VALUE_NUMBER_INT -> {
                return p.getNumberValue();
            }
            case VALUE_NUMBER_FLOAT -> {
                return p.getDoubleValue();
            }
            case VALUE_TRUE -> {
                return true;
            }
            case VALUE_FALSE -> {
                return false;
            }
            default -> {
                return null;
            }
        }
    }

    static Map<String, Object> object(EngineClient.Answer answer) {
        try {
            return object(parse(answer.body()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Object value) {
        return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    static List<Object> array(EngineClient.Answer answer) {
        try {
            return parse(answer.body()) instanceof List<?> l ? new ArrayList<>(l) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long number(Object value, long otherwise) {
        return value instanceof Number n ? n.longValue() : otherwise;
    }

    static String message(EngineClient.Answer answer) {
        try {
            if (object(parse(answer.body())).get("message") instanceof String m) {
                return m.strip();
            }
        } catch (IOException | RuntimeException e) {
            // not JSON: the text itself
        }
        return answer.text().strip();
    }

    static byte[] write(Map<String, Object> value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartObject();
            for (var e : value.entrySet()) {
                g.writeFieldName(e.getKey());
                Object v = e.getValue();
                if (v instanceof Boolean b) {
                    g.writeBoolean(b);
                } else if (v instanceof List<?> l) {
                    g.writeStartArray();
                    for (Object o : l) {
                        g.writeString((String) o);
                    }
                    g.writeEndArray();
                } else {
                    g.writeString(String.valueOf(v));
                }
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
