package dev.jdd.common;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DatabindException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;
import java.util.stream.Collectors;

/**
 * The one JSON library of jdd's code is Jackson; this class holds its two configurations.
 *
 * <p>{@link #MAPPER} reads other programs' documents (webhooks) as trees: unknown fields ignored. {@link #read} is
 * the agent API's codec (the records {@link CaptureRequest}, {@link Admission}, {@link CaptureInfo}),
 * shared by agent and router, and strict: one value and nothing after it, no key twice in one object, nesting at
 * most 64 deep, no number or boolean where text is expected (except where a record says so) and no text or fraction
 * where a whole number is. {@link #write} leaves null fields out; fields come in record component order.
 */
public final class Json {
    /** The deepest nesting of objects and arrays read: a hostile body cannot run deep. */
    static final int MAX_DEPTH = 64;

    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .build();

    private static final ObjectMapper WIRE = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .withCoercionConfig(LogicalType.Textual, c -> c
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .withCoercionConfig(LogicalType.Integer, c -> c
                    .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .build();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build());
    }

    private Json() {
    }

    /** {@code value} as JSON in UTF-8, null fields left out. */
    public static byte[] write(Object value) {
        try {
            return WIRE.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON for " + value.getClass().getSimpleName(), e);
        }
    }

    /**
     * The one value in {@code json} as a {@code type}, strictly (see the class comment). Bad input is an
     * {@link IllegalArgumentException} whose message says what is wrong, in which field, and where.
     */
    public static <T> T read(byte[] json, Class<T> type) {
        requireValue(json);
        try {
            T value = WIRE.readValue(json, type);
            if (value == null) {
                throw new IllegalArgumentException("expected a JSON object, not null");
            }
            return value;
        } catch (IOException e) {
            throw problem(e);
        }
    }

    /** The one value in {@code json} as a tree, with the same strictness as {@link #read(byte[], Class)}. */
    public static JsonNode readTree(byte[] json) {
        requireValue(json);
        try {
            return WIRE.readTree(json);
        } catch (IOException e) {
            throw problem(e);
        }
    }

    private static void requireValue(byte[] json) {
        for (byte b : json) {
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
                return;
            }
        }
        throw new IllegalArgumentException("no JSON value: the input is empty or only white space");
    }

    /** A part of a tree that {@link #readTree} read, as a {@code type}, as strictly. */
    public static <T> T read(JsonNode json, Class<T> type) {
        try {
            return WIRE.treeToValue(json, type);
        } catch (IOException e) {
            throw problem(e);
        }
    }

    /** Jackson's reason, the field it is about ({@code alert.labels.team}), and the line and column. */
    private static IllegalArgumentException problem(IOException e) {
        if (!(e instanceof JsonProcessingException j)) {
            // the UTF-32 decoder reports bad bytes as a CharConversionException, not a parse error
            return new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
        String field = e instanceof DatabindException && e instanceof JsonMappingException m && !m.getPath().isEmpty()
                ? m.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                        .collect(Collectors.joining(".")).replace(".[", "[") + ": "
                : "";
        String reason = j.getOriginalMessage();
        Throwable cause = j.getCause();
        if (cause instanceof IllegalArgumentException own && own.getMessage() != null) {
            reason = own.getMessage(); // a record's own check (an unknown outcome)
        }
        return new IllegalArgumentException((e instanceof DatabindException ? "" : "not JSON: ") + field + reason + at(j.getLocation()), e);
    }

    private static String at(JsonLocation location) {
        return location == null || location.getLineNr() < 0 ? "" : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }
}
