package dev.jdd.common;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonValuesTest {

    private static Object read(String json) {
        return JsonValues.read(json.getBytes(StandardCharsets.UTF_8));
    }

    private static String write(Object value) {
        return new String(JsonValues.write(value), StandardCharsets.UTF_8);
    }

    private static String error(String json) {
        return assertThrows(IllegalArgumentException.class, () -> read(json), json).getMessage();
    }

    @Test
    void readsEveryKindOfValueIntoPlainJavaValues() {
        Object value = read("{\"s\":\"x\",\"i\":-7,\"big\":123456789012345678901234567890,\"f\":1.5,\"t\":true,"
                + "\"no\":false,\"n\":null,\"a\":[1,\"two\",[]],\"o\":{}}");
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("s", "x");
        expected.put("i", -7L);
        expected.put("big", new BigInteger("123456789012345678901234567890"));
        expected.put("f", 1.5);
        expected.put("t", true);
        expected.put("no", false);
        expected.put("n", null);
        expected.put("a", List.of(1L, "two", List.of()));
        expected.put("o", Map.of());
        assertEquals(expected, value);
        assertEquals(LinkedHashMap.class, value.getClass());
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(((Map<?, ?>) value).keySet()), "keys in document order");
        assertEquals("top", read(" \"top\" "));
        assertEquals(null, read("null"));
    }

    @Test
    void writesWhatItReadsLeavingOutNullEntries() {
        String json = "{\"s\":\"x\",\"i\":-7,\"big\":123456789012345678901234567890,\"f\":1.5,\"t\":true,\"no\":false,"
                + "\"a\":[1,null,\"two\",[]],\"o\":{}}";
        assertEquals(json, write(read(json)));
        assertEquals("{\"kept\":1}", write(read("{\"gone\":null,\"kept\":1}")));
        Map<String, Object> withNull = new LinkedHashMap<>();
        withNull.put("a", null);
        withNull.put("b", Arrays.asList(null, 2));
        assertEquals("{\"b\":[null,2]}", write(withNull), "nulls in arrays stay");
        assertEquals("null", write(null));
    }

    @Test
    void writesStringsAndNumbersByteForByteAsDataBindingDoes() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("quote", "say \"hi\" \\ / </script>");
        value.put("control", "tab\there\nnew line\u0000\u001f\u007f");
        value.put("unicode", "grüße ✓ 日本 \uD83D\uDE80");
        value.put("int", 42);
        value.put("long", Long.MIN_VALUE);
        value.put("big", new BigInteger("-98765432109876543210"));
        value.put("double", 0.1);
        value.put("list", List.of("a", 1));
        value.put("empty", Map.of());
        value.put("null", null);
        assertArrayEquals(Json.write(value), JsonValues.write(value), write(value));
    }

    @Test
    void readsWhatDataBindingWritesAndTheOtherWayRound() throws Exception {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("unicode", "grüße ✓ \uD83D\uDE80 \u0001");
        value.put("n", 12L);
        value.put("list", new ArrayList<>(List.of(true, "x")));
        assertEquals(value, JsonValues.read(Json.write(value)));
        assertEquals(Json.MAPPER.readTree(Json.write(value)), Json.MAPPER.readTree(JsonValues.write(value)));
    }

    @Test
    void nestingIsCappedAt64LikeDataBinding() throws Exception {
        String arrays64 = "[".repeat(64) + "]".repeat(64);
        String objects64 = "{\"a\":".repeat(63) + "{}" + "}".repeat(63);
        assertDoesNotThrow(() -> read(arrays64));
        assertDoesNotThrow(() -> read(objects64));
        assertEquals("JSON nested deeper than 64 levels (line 1, column 65)", error("[".repeat(65) + "]".repeat(65)));
        assertTrue(error("{\"a\":" + objects64 + "}").startsWith("JSON nested deeper than 64 levels"));
        assertTrue(error("[".repeat(100_000)).startsWith("JSON nested deeper than 64 levels"), "stops before the end");

        Json.MAPPER.readTree(arrays64);
        assertThrows(Exception.class, () -> Json.MAPPER.readTree("[".repeat(65) + "]".repeat(65)), "the same limit as Json's");
    }

    @Test
    void badInputSaysWhatIsWrongAndWhere() {
        assertEquals("no JSON value: the input is empty or only white space", error(""));
        assertEquals("no JSON value: the input is empty or only white space", error(" \n\t"));
        String notJson = error("not json");
        assertTrue(notJson.startsWith("not JSON: Unrecognized token 'not'"), notJson);
        assertTrue(notJson.endsWith("(line 1, column 1)"), notJson);
        String unfinished = error("{\"namespace\":");
        assertTrue(unfinished.startsWith("not JSON: Unexpected end-of-input"), unfinished);
        String garbage = error("{\"a\":1} x");
        assertTrue(garbage.startsWith("not JSON: Unrecognized token 'x'"), garbage);
        assertEquals("trailing data after the JSON value (line 1, column 4)", error("{} {}"));
        assertEquals("trailing data after the JSON value (line 2, column 1)", error("1\n2"));
        assertEquals("key \"a\" appears twice in one object (line 1, column 9)", error("{\"a\":1, \"a\":2}"));
        assertTrue(error("{'a':1}").startsWith("not JSON: Unexpected character ('''"), "no single quotes");
        assertTrue(error("[1,]").startsWith("not JSON: Unexpected character (']'"), "no trailing commas");
        String badUtf8 = assertThrows(IllegalArgumentException.class, () -> JsonValues.read(new byte[] {'"', (byte) 0xff, '"'})).getMessage();
        assertTrue(badUtf8.startsWith("not JSON: Invalid UTF-8"), badUtf8);
        String badUtf32 = assertThrows(IllegalArgumentException.class,
                () -> JsonValues.read(new byte[] {0, 0, 0, '"', 0x7f, 0, 0, 0, 0, 0, 0, '"'})).getMessage();
        assertTrue(badUtf32.startsWith("not JSON: "), badUtf32);
    }

    @Test
    void refusesToWriteWhatJsonHasNoWordFor() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JsonValues.write(Map.of("a", new Object())));
        assertEquals("cannot write a java.lang.Object as JSON", e.getMessage());
    }
}
