package dev.jdd.common;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The strictness of the agent API's codec ({@link Json#read}): what it refuses, and that it says what and where. */
class JsonTest {

    private static String error(String json) {
        return error(json.getBytes(StandardCharsets.UTF_8));
    }

    private static String error(byte[] json) {
        return assertThrows(IllegalArgumentException.class, () -> Json.read(json, CaptureRequest.class),
                new String(json, StandardCharsets.UTF_8)).getMessage();
    }

    @Test
    void nestingIsCappedAt64() {
        String objects64 = "{\"a\":".repeat(63) + "{}" + "}".repeat(63);
        assertDoesNotThrow(() -> Json.readTree(("[".repeat(64) + "]".repeat(64)).getBytes(StandardCharsets.UTF_8)));
        assertDoesNotThrow(() -> Json.read(objects64.getBytes(StandardCharsets.UTF_8), CaptureRequest.class), "unknown fields, 64 deep");
        String deeper = error("{\"a\":" + objects64 + "}");
        assertTrue(deeper.contains("Document nesting depth (65) exceeds the maximum allowed (64"), deeper);
        String arrays = assertThrows(IllegalArgumentException.class,
                () -> Json.readTree(("[".repeat(65) + "]".repeat(65)).getBytes(StandardCharsets.UTF_8))).getMessage();
        assertTrue(arrays.contains("exceeds the maximum allowed (64"), arrays);
        assertTrue(error("{\"a\":" + "[".repeat(100_000)).contains("exceeds the maximum allowed (64"), "stops before the end");
        assertThrows(Exception.class, () -> Json.MAPPER.readTree("[".repeat(65) + "]".repeat(65)), "the webhooks' mapper too");
    }

    @Test
    void trailingDataAndRepeatedKeysAreRefused() {
        String trailing = error("{} {}");
        assertTrue(trailing.contains("Trailing token"), trailing);
        assertTrue(trailing.endsWith("(line 1, column 4)"), trailing);
        assertTrue(error("{\"namespace\":\"a\"}\n{}").contains("Trailing token"));
        String twice = error("{\"namespace\":\"a\", \"namespace\":\"b\"}");
        assertTrue(twice.contains("Duplicate field 'namespace'"), twice);
        assertTrue(error("{\"alert\":{\"labels\":{\"a\":\"1\",\"a\":\"2\"}}}").contains("Duplicate field 'a'"));
        assertTrue(error("{\"x\":1, \"x\":2}").contains("Duplicate field 'x'"), "also in fields the record does not know");
    }

    @Test
    void badInputSaysWhatIsWrongAndWhere() {
        assertEquals("no JSON value: the input is empty or only white space", error(""));
        assertEquals("no JSON value: the input is empty or only white space", error(" \n\t"));
        String notJson = error("not json");
        assertTrue(notJson.startsWith("not JSON: Unrecognized token 'not'"), notJson);
        assertTrue(notJson.endsWith("(line 1, column 1)"), notJson);
        String unfinished = error("{\"namespace\":");
        assertTrue(unfinished.contains("end-of-input"), unfinished);
        String garbage = error("{\"pod\":\"a\"} x");
        assertTrue(garbage.startsWith("not JSON: Unrecognized token 'x'"), garbage);
        assertTrue(error("{'a':1}").startsWith("not JSON: Unexpected character ('''"), "no single quotes");
        assertTrue(error("{\"a\":[1,]}").startsWith("not JSON: Unexpected character (']'"), "no trailing commas");
        String badUtf8 = error(new byte[] {'{', '"', (byte) 0xff, '"', ':', '1', '}'});
        assertTrue(badUtf8.startsWith("not JSON: Invalid UTF-8"), badUtf8);
        String badUtf32 = error(new byte[] {0, 0, 0, '"', 0x7f, 0, 0, 0, 0, 0, 0, '"'});
        assertTrue(badUtf32.startsWith("not JSON: "), badUtf32);
    }
}
