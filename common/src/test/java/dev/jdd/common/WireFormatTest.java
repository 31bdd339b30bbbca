package dev.jdd.common;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.type.TypeReference;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The agent API's records on the wire: {@code toJson}/{@code fromJson} with {@link JsonValues} round-trip, write the
 * same bytes as the data-binding {@link Json} (which the router and older peers use), and read what it writes.
 */
class WireFormatTest {
    private static final CaptureRequest REQUEST = new CaptureRequest("shop", "web-1", "api",
            new CaptureRequest.Alert("HighCpu \"ü\"", "97.5", labels()));
    private static final CaptureRequest BARE_REQUEST = new CaptureRequest("shop", "web-1", "api", null);
    private static final CaptureRequest ALERT_WITHOUT_LABELS = new CaptureRequest("shop", "web-1", "api",
            new CaptureRequest.Alert("HighCpu", null, null));
    private static final CaptureInfo FINISHED = new CaptureInfo("0123456789abcdef", "node-1", "shop", "web-1", "api",
            "2024-05-01T10:00:00.000Z", "2024-05-01T10:00:02.345Z", "ok", "jcmd", 0, 123_456_789_012L);
    private static final CaptureInfo RUNNING = new CaptureInfo("fedcba9876543210", "node-1", "shop", "web-1", "api",
            "2024-05-01T10:00:00.000Z", null, null, null, null, null);

    private static Map<String, String> labels() {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("severity", "page");
        labels.put("team", "checkout ✓");
        return labels;
    }

    private static List<Admission> admissions() {
        return List.of(Admission.of(Outcome.ACCEPTED, "0123456789abcdef"), Admission.of(Outcome.IN_PROGRESS, "0123456789abcdef"),
                Admission.of(Outcome.COOLDOWN, "0123456789abcdef"), Admission.of(Outcome.BUSY), Admission.of(Outcome.NOT_FOUND),
                Admission.of(Outcome.STOPPING), Admission.invalid("namespace is not a DNS-1123 label: \"Sh\\op\"\n"),
                new Admission(Outcome.ERROR, null, "docker: engine restarting"),
                new Admission(Outcome.NOT_FOUND, null, "no capture with that id on this node"));
    }

    private static Object read(String json) {
        return JsonValues.read(json.getBytes(StandardCharsets.UTF_8));
    }

    private static <T> T reread(Map<String, Object> json, Function<Object, T> fromJson) {
        return fromJson.apply(JsonValues.read(JsonValues.write(json)));
    }

    private static String error(Function<Object, ?> fromJson, String json) {
        return assertThrows(IllegalArgumentException.class, () -> fromJson.apply(read(json)), json).getMessage();
    }

    @Test
    void roundTrips() {
        for (CaptureRequest r : List.of(REQUEST, BARE_REQUEST, ALERT_WITHOUT_LABELS)) {
            assertEquals(r, reread(r.toJson(), CaptureRequest::fromJson));
        }
        for (Admission a : admissions()) {
            assertEquals(a, reread(a.toJson(), Admission::fromJson));
        }
        for (CaptureInfo c : List.of(FINISHED, RUNNING)) {
            assertEquals(c, reread(c.toJson(), CaptureInfo::fromJson));
        }
        assertEquals(List.of(FINISHED, RUNNING), reread(CaptureInfo.listToJson(List.of(FINISHED, RUNNING)), CaptureInfo::listFromJson));
        assertEquals(List.of(), reread(CaptureInfo.listToJson(List.of()), CaptureInfo::listFromJson));
    }

    @Test
    void writesTheBytesDataBindingWrites() throws Exception {
        for (CaptureRequest r : List.of(REQUEST, BARE_REQUEST, ALERT_WITHOUT_LABELS)) {
            byte[] bytes = JsonValues.write(r.toJson());
            assertArrayEquals(Json.write(r), bytes, new String(bytes, StandardCharsets.UTF_8));
            assertEquals(r, Json.MAPPER.readValue(bytes, CaptureRequest.class));
        }
        for (Admission a : admissions()) {
            byte[] bytes = JsonValues.write(a.toJson());
            assertArrayEquals(Json.write(a), bytes, new String(bytes, StandardCharsets.UTF_8));
            assertEquals(a, Json.MAPPER.readValue(bytes, Admission.class));
        }
        for (CaptureInfo c : List.of(FINISHED, RUNNING)) {
            byte[] bytes = JsonValues.write(c.toJson());
            assertArrayEquals(Json.write(c), bytes, new String(bytes, StandardCharsets.UTF_8));
            assertEquals(c, Json.MAPPER.readValue(bytes, CaptureInfo.class));
        }
        List<CaptureInfo> list = List.of(FINISHED, RUNNING);
        byte[] bytes = JsonValues.write(CaptureInfo.listToJson(list));
        assertArrayEquals(Json.write(Map.of("captures", list)), bytes, new String(bytes, StandardCharsets.UTF_8));
        assertEquals(Map.of("captures", list), Json.MAPPER.readValue(bytes, new TypeReference<Map<String, List<CaptureInfo>>>() { }));
    }

    @Test
    void readsWhatDataBindingWrites() {
        for (CaptureRequest r : List.of(REQUEST, BARE_REQUEST, ALERT_WITHOUT_LABELS)) {
            assertEquals(r, CaptureRequest.fromJson(JsonValues.read(Json.write(r))));
        }
        for (Admission a : admissions()) {
            assertEquals(a, Admission.fromJson(JsonValues.read(Json.write(a))));
        }
        assertEquals(List.of(FINISHED, RUNNING), CaptureInfo.listFromJson(JsonValues.read(Json.write(Map.of("captures", List.of(FINISHED, RUNNING))))));
    }

    @Test
    void theOutcomeTravelsAsItsWireSpelling() {
        assertEquals("{\"outcome\":\"in-progress\",\"captureId\":\"0123456789abcdef\"}",
                new String(JsonValues.write(Admission.of(Outcome.IN_PROGRESS, "0123456789abcdef").toJson()), StandardCharsets.UTF_8));
        assertEquals("{\"outcome\":\"not-found\"}", new String(JsonValues.write(Admission.of(Outcome.NOT_FOUND).toJson()), StandardCharsets.UTF_8));
        for (Outcome o : Outcome.values()) {
            assertEquals(o, Admission.fromJson(read("{\"outcome\":\"" + o.wire() + "\"}")).outcome());
        }
        assertNull(Admission.fromJson(read("{\"captureId\":\"x\"}")).outcome(), "no outcome: the caller decides");
        assertEquals("unknown outcome NOT_FOUND", error(Admission::fromJson, "{\"outcome\":\"NOT_FOUND\"}"));
    }

    @Test
    void unknownFieldsAreIgnoredAndAlertValueMayBeANumber() {
        CaptureRequest r = CaptureRequest.fromJson(read("{\"namespace\":\"shop\",\"extra\":{\"deep\":[1,2]},\"pod\":\"web\","
                + "\"container\":\"api\",\"alert\":{\"name\":\"HighCpu\",\"value\":97.5,\"startsAt\":\"now\"}}"));
        assertEquals(new CaptureRequest("shop", "web", "api", new CaptureRequest.Alert("HighCpu", "97.5", null)), r);
        assertEquals("97", CaptureRequest.fromJson(read("{\"alert\":{\"value\":97}}")).alert().value());
        assertEquals(new CaptureRequest(null, null, null, null), CaptureRequest.fromJson(read("{}")), "missing names are the agent's check");
        assertEquals(new CaptureRequest("shop", null, null, null), CaptureRequest.fromJson(read("{\"namespace\":\"shop\",\"alert\":null}")));
        assertEquals(FINISHED, CaptureInfo.fromJson(read(new String(JsonValues.write(FINISHED.toJson()), StandardCharsets.UTF_8)
                .replace("{", "{\"new\":[true],"))));
        assertEquals(List.of(RUNNING), CaptureInfo.listFromJson(read("[" + new String(JsonValues.write(RUNNING.toJson()),
                StandardCharsets.UTF_8) + "]")), "a bare array of captures");
    }

    @Test
    void wrongTypesSayWhichFieldAndWhatItGot() {
        assertEquals("namespace must be a string, not the number 5", error(CaptureRequest::fromJson, "{\"namespace\":5}"));
        assertEquals("container must be a string, not an array", error(CaptureRequest::fromJson, "{\"container\":[\"api\"]}"));
        assertEquals("pod must be a string, not true", error(CaptureRequest::fromJson, "{\"pod\":true}"));
        assertEquals("expected a JSON object, not an array", error(CaptureRequest::fromJson, "[]"));
        assertEquals("expected a JSON object, not null", error(CaptureRequest::fromJson, "null"));
        assertEquals("expected a JSON object, not a string", error(CaptureRequest::fromJson, "\"shop\""));
        assertEquals("alert must be a JSON object, not a string", error(CaptureRequest::fromJson, "{\"alert\":\"x\"}"));
        assertEquals("alert.name must be a string, not an object", error(CaptureRequest::fromJson, "{\"alert\":{\"name\":{}}}"));
        assertEquals("alert.value must be a string, not false", error(CaptureRequest::fromJson, "{\"alert\":{\"value\":false}}"));
        assertEquals("alert.labels must be a JSON object, not an array", error(CaptureRequest::fromJson, "{\"alert\":{\"labels\":[]}}"));
        assertEquals("alert.labels.team must be a string, not the number 7",
                error(CaptureRequest::fromJson, "{\"alert\":{\"labels\":{\"severity\":\"page\",\"team\":7}}}"));

        assertEquals("outcome must be a string, not the number 202", error(Admission::fromJson, "{\"outcome\":202}"));
        assertEquals("captureId must be a string, not an object", error(Admission::fromJson, "{\"outcome\":\"accepted\",\"captureId\":{}}"));

        assertEquals("exitCode must be a whole number, not a string", error(CaptureInfo::fromJson, "{\"exitCode\":\"0\"}"));
        assertEquals("exitCode must be a whole number, not the number 1.5", error(CaptureInfo::fromJson, "{\"exitCode\":1.5}"));
        assertEquals("exitCode must be a whole number from -2147483648 to 2147483647, not the number 4294967296",
                error(CaptureInfo::fromJson, "{\"exitCode\":4294967296}"));
        assertEquals("bytes must be a whole number, not the number 99999999999999999999",
                error(CaptureInfo::fromJson, "{\"bytes\":99999999999999999999}"));
        assertEquals("captures must be a JSON array, not an object", error(CaptureInfo::listFromJson, "{\"captures\":{}}"));
        assertEquals("captures must be a JSON array, not null", error(CaptureInfo::listFromJson, "{}"));
        assertEquals("expected a JSON object, not the number 1", error(CaptureInfo::listFromJson, "{\"captures\":[1]}"));
    }
}
