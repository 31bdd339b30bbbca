package dev.jdd.common;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON documents as plain Java values: objects as {@code LinkedHashMap<String, Object>}, arrays as
 * {@code List<Object>}, strings, numbers ({@code Long}, {@code BigInteger}, {@code Double}), {@code Boolean} and null.
 * Read and written with Jackson's streaming parser and generator only: the agent serves its API without loading
 * Jackson's data binding (about 440 classes, 6 MiB of resident memory). Bad input is an
 * {@link IllegalArgumentException} whose message says what is wrong and where.
 */
public final class JsonValues {
    /** The deepest nesting of objects and arrays read, as {@link Json} allows: a hostile body cannot run deep. */
    private static final int MAX_DEPTH = 64;

    private static final JsonFactory FACTORY = new JsonFactory();

    private JsonValues() {
    }

    /** The one JSON value in {@code json}: nothing but white space may follow it, and no object may repeat a key. */
    public static Object read(byte[] json) {
        try (JsonParser parser = FACTORY.createParser(json)) {
            if (parser.nextToken() == null) {
                throw new IllegalArgumentException("no JSON value: the input is empty or only white space");
            }
            Object value = readValue(parser, 0);
            if (parser.nextToken() != null) {
                throw problem(parser, "trailing data after the JSON value");
            }
            return value;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage() + at(e.getLocation()));
        } catch (IOException e) {
            // the UTF-32 decoder reports bad bytes as a CharConversionException, not a parse error
            throw new IllegalArgumentException("not JSON: " + e.getMessage());
        }
    }

    /** {@code value} as JSON in UTF-8. Map entries whose value is null are left out; map keys are written as text. */
    public static byte[] write(Object value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator generator = FACTORY.createGenerator(out)) {
            write(generator, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** {@code value} as an object; {@code name} says which value for the message (null: the whole document). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Object value, String name) {
        if (value instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        throw wrongType(name, "a JSON object", value);
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object value, String name) {
        if (value instanceof List<?> list) {
            return (List<Object>) list;
        }
        throw wrongType(name, "a JSON array", value);
    }

    /** A string field; absent or null is null. */
    static String string(Object value, String name) {
        if (value == null || value instanceof String) {
            return (String) value;
        }
        throw wrongType(name, "a string", value);
    }

    /** A string field that also takes a number, written as text. */
    static String text(Object value, String name) {
        if (value instanceof Number number) {
            return number.toString();
        }
        return string(value, name);
    }

    /** A whole-number field; absent or null is null. */
    static Long whole(Object value, String name) {
        if (value == null || value instanceof Long) {
            return (Long) value;
        }
        throw wrongType(name, "a whole number", value);
    }

    /** A whole-number field that fits in an int; absent or null is null. */
    static Integer integer(Object value, String name) {
        Long whole = whole(value, name);
        if (whole != null && whole != whole.intValue()) {
            throw wrongType(name, "a whole number from " + Integer.MIN_VALUE + " to " + Integer.MAX_VALUE, value);
        }
        return whole == null ? null : whole.intValue();
    }

    private static IllegalArgumentException wrongType(String name, String expected, Object value) {
        return new IllegalArgumentException((name == null ? "expected " : name + " must be ") + expected + ", not " + kind(value));
    }

    private static String kind(Object value) {
        return switch (value) {
            case null -> "null";
            case String s -> "a string";
            case Boolean b -> b.toString();
            case Number n -> "the number " + n;
            case Map<?, ?> m -> "an object";
            case List<?> l -> "an array";
            default -> value.getClass().getSimpleName();
        };
    }

    /** The value at the parser's current token, with {@code depth} objects and arrays around it. */
    private static Object readValue(JsonParser parser, int depth) throws IOException {
        JsonToken token = parser.currentToken();
        if ((token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) && depth == MAX_DEPTH) {
            throw problem(parser, "JSON nested deeper than " + MAX_DEPTH + " levels");
        }
        return switch (token) {
            case START_OBJECT -> readObject(parser, depth + 1);
            case START_ARRAY -> readArray(parser, depth + 1);
            case VALUE_STRING -> parser.getText();
            case VALUE_NUMBER_INT -> parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                    ? parser.getBigIntegerValue() : Long.valueOf(parser.getLongValue());
            case VALUE_NUMBER_FLOAT -> parser.getDoubleValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            default -> throw problem(parser, "unexpected " + token);
        };
    }

    private static Map<String, Object> readObject(JsonParser parser, int depth) throws IOException {
        Map<String, Object> object = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            if (object.containsKey(key)) {
                throw problem(parser, "key \"" + key + "\" appears twice in one object");
            }
            parser.nextToken();
            object.put(key, readValue(parser, depth));
        }
        return object;
    }

    private static List<Object> readArray(JsonParser parser, int depth) throws IOException {
        List<Object> array = new ArrayList<>();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
            array.add(readValue(parser, depth));
        }
        return array;
    }

    private static IllegalArgumentException problem(JsonParser parser, String what) {
        return new IllegalArgumentException(what + at(parser.currentTokenLocation()));
    }

    private static String at(JsonLocation location) {
        return location == null ? "" : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }

    private static void write(JsonGenerator generator, Object value) throws IOException {
        switch (value) {
            case null -> generator.writeNull();
            case String s -> generator.writeString(s);
            case Boolean b -> generator.writeBoolean(b);
            case Integer i -> generator.writeNumber(i);
            case Long l -> generator.writeNumber(l);
            case BigInteger b -> generator.writeNumber(b);
            case Double d -> generator.writeNumber(d);
            case Map<?, ?> map -> {
                generator.writeStartObject();
                for (Map.Entry<?, ?> entry : map.entrySet()) {
                    if (entry.getValue() != null) {
                        generator.writeFieldName(String.valueOf(entry.getKey()));
                        write(generator, entry.getValue());
                    }
                }
                generator.writeEndObject();
            }
            case Collection<?> items -> {
                generator.writeStartArray();
                for (Object item : items) {
                    write(generator, item);
                }
                generator.writeEndArray();
            }
            default -> throw new IllegalArgumentException("cannot write a " + value.getClass().getName() + " as JSON");
        }
    }
}
