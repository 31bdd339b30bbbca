package dev.jdd.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The agent API's records on the wire with {@link Json}: they round-trip, are written byte for byte as the agent
 * always wrote them (field order, nulls left out, escapes), and wrong types are refused naming the field.
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

    private static <T> T read(String json, Class<T> type) {
        return Json.read(json.getBytes(StandardCharsets.UTF_8), type);
    }

    private static <T> T reread(T value, Class<T> type) {
        return Json.read(Json.write(value), type);
    }

    private static String text(Object value) {
        return new String(Json.write(value), StandardCharsets.UTF_8);
    }

    private static String error(Class<?> type, String json) {
        return assertThrows(IllegalArgumentException.class, () -> read(json, type), json).getMessage();
    }

    @Test
    void roundTrips() {
        for (CaptureRequest r : List.of(REQUEST, BARE_REQUEST, ALERT_WITHOUT_LABELS)) {
            assertEquals(r, reread(r, CaptureRequest.class));
        }
        for (Admission a : admissions()) {
            assertEquals(a, reread(a, Admission.class));
        }
        for (CaptureInfo c : List.of(FINISHED, RUNNING)) {
            assertEquals(c, reread(c, CaptureInfo.class));
        }
        assertEquals(List.of(FINISHED, RUNNING), CaptureInfo.readList(Json.write(CaptureInfo.listBody(List.of(FINISHED, RUNNING)))));
        assertEquals(List.of(), CaptureInfo.readList(Json.write(CaptureInfo.listBody(List.of()))));
    }

    @Test
    void writesTheBytesTheAgentAlwaysWrote() {
        assertEquals("{\"namespace\":\"shop\",\"pod\":\"web-1\",\"container\":\"api\",\"alert\":{\"name\":\"HighCpu \\\"ü\\\"\","
                + "\"value\":\"97.5\",\"labels\":{\"severity\":\"page\",\"team\":\"checkout ✓\"}}}", text(REQUEST));
        assertEquals("{\"namespace\":\"shop\",\"pod\":\"web-1\",\"container\":\"api\"}", text(BARE_REQUEST));
        assertEquals("{\"namespace\":\"shop\",\"pod\":\"web-1\",\"container\":\"api\",\"alert\":{\"name\":\"HighCpu\"}}",
                text(ALERT_WITHOUT_LABELS));
        assertEquals("{\"outcome\":\"invalid\",\"detail\":\"namespace is not a DNS-1123 label: \\\"Sh\\\\op\\\"\\n\"}",
                text(Admission.invalid("namespace is not a DNS-1123 label: \"Sh\\op\"\n")));
        String finished = "{\"captureId\":\"0123456789abcdef\",\"node\":\"node-1\",\"namespace\":\"shop\",\"pod\":\"web-1\","
                + "\"container\":\"api\",\"start\":\"2024-05-01T10:00:00.000Z\",\"end\":\"2024-05-01T10:00:02.345Z\","
                + "\"outcome\":\"ok\",\"engine\":\"jcmd\",\"exitCode\":0,\"bytes\":123456789012}";
        String running = "{\"captureId\":\"fedcba9876543210\",\"node\":\"node-1\",\"namespace\":\"shop\",\"pod\":\"web-1\","
                + "\"container\":\"api\",\"start\":\"2024-05-01T10:00:00.000Z\"}";
        assertEquals(finished, text(FINISHED));
        assertEquals("{\"captures\":[" + finished + "," + running + "]}", text(CaptureInfo.listBody(List.of(FINISHED, RUNNING))));
    }

    @Test
    void writesControlCharactersAndUnicodeAsJacksonsGeneratorAlwaysDid() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("quote", "say \"hi\" \\ / </script>");
        value.put("control", "tab\there\nnew line\u0000\u001f\u007f");
        value.put("unicode", "grüße \uD83D\uDE80");
        value.put("long", Long.MIN_VALUE);
        value.put("null", null);
        assertEquals("{\"quote\":\"say \\\"hi\\\" \\\\ / </script>\",\"control\":\"tab\\there\\nnew line\\u0000\\u001F\u007f\","
                + "\"unicode\":\"grüße \\uD83D\\uDE80\",\"long\":-9223372036854775808}", text(value));
    }

    @Test
    void theOutcomeTravelsAsItsWireSpelling() {
        assertEquals("{\"outcome\":\"in-progress\",\"captureId\":\"0123456789abcdef\"}", text(Admission.of(Outcome.IN_PROGRESS, "0123456789abcdef")));
        assertEquals("{\"outcome\":\"not-found\"}", text(Admission.of(Outcome.NOT_FOUND)));
        for (Outcome o : Outcome.values()) {
            assertEquals(o, read("{\"outcome\":\"" + o.wire() + "\"}", Admission.class).outcome());
        }
        assertNull(read("{\"captureId\":\"x\"}", Admission.class).outcome(), "no outcome: the caller decides");
        String unknown = error(Admission.class, "{\"outcome\":\"NOT_FOUND\"}");
        assertTrue(unknown.startsWith("outcome: unknown outcome NOT_FOUND"), unknown);
    }

    @Test
    void unknownFieldsAreIgnoredAndAlertValueMayBeANumber() {
        CaptureRequest r = read("{\"namespace\":\"shop\",\"extra\":{\"deep\":[1,2]},\"pod\":\"web\","
                + "\"container\":\"api\",\"alert\":{\"name\":\"HighCpu\",\"value\":97.5,\"startsAt\":\"now\"}}", CaptureRequest.class);
        assertEquals(new CaptureRequest("shop", "web", "api", new CaptureRequest.Alert("HighCpu", "97.5", null)), r);
        assertEquals("97", read("{\"alert\":{\"value\":97}}", CaptureRequest.class).alert().value());
        assertEquals(new CaptureRequest(null, null, null, null), read("{}", CaptureRequest.class), "missing names are the agent's check");
        assertEquals(new CaptureRequest("shop", null, null, null), read("{\"namespace\":\"shop\",\"alert\":null}", CaptureRequest.class));
        assertEquals(FINISHED, read(text(FINISHED).replace("{", "{\"new\":[true],"), CaptureInfo.class));
        assertEquals(List.of(RUNNING), CaptureInfo.readList(("[" + text(RUNNING) + "]").getBytes(StandardCharsets.UTF_8)),
                "a bare array of captures");
    }

    @Test
    void wrongTypesAreRefusedNamingTheField() {
        for (String[] c : new String[][] {
                {"namespace", "{\"namespace\":5}"}, {"container", "{\"container\":[\"api\"]}"}, {"pod", "{\"pod\":true}"},
                {"alert", "{\"alert\":\"x\"}"}, {"alert.name", "{\"alert\":{\"name\":{}}}"},
                {"alert.value", "{\"alert\":{\"value\":false}}"}, {"alert.labels", "{\"alert\":{\"labels\":[]}}"},
                {"alert.labels.team", "{\"alert\":{\"labels\":{\"severity\":\"page\",\"team\":7}}}"}}) {
            String message = error(CaptureRequest.class, c[1]);
            assertTrue(message.startsWith(c[0] + ": "), c[1] + " -> " + message);
        }
        for (String json : List.of("[]", "\"shop\"", "null", "5")) {
            error(CaptureRequest.class, json);
        }
        assertEquals("expected a JSON object, not null", error(CaptureRequest.class, "null"));

        assertTrue(error(Admission.class, "{\"outcome\":202}").startsWith("outcome: "));
        assertTrue(error(Admission.class, "{\"outcome\":\"accepted\",\"captureId\":{}}").startsWith("captureId: "));

        for (String json : List.of("{\"exitCode\":\"0\"}", "{\"exitCode\":1.5}", "{\"exitCode\":4294967296}", "{\"exitCode\":true}")) {
            assertTrue(error(CaptureInfo.class, json).startsWith("exitCode: "), json);
        }
        assertTrue(error(CaptureInfo.class, "{\"bytes\":99999999999999999999}").contains("bytes"));
        for (String json : List.of("{\"captures\":{}}", "{}", "{\"captures\":[1]}", "{\"captures\":[null]}", "5")) {
            assertThrows(IllegalArgumentException.class, () -> CaptureInfo.readList(json.getBytes(StandardCharsets.UTF_8)), json);
        }
    }
}
