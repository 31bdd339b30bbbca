package dev.jdd.common;

import static dev.jdd.common.JsonValues.integer;
import static dev.jdd.common.JsonValues.list;
import static dev.jdd.common.JsonValues.object;
import static dev.jdd.common.JsonValues.string;
import static dev.jdd.common.JsonValues.whole;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One capture as {@code GET /v1/captures} lists it (metadata only; the dump is at
 * {@code GET /v1/captures/{captureId}}). Times are ISO-8601 UTC; {@code end} and {@code outcome} are null
 * while the capture runs or waits. Outcomes of a finished capture: {@code ok}, {@code failed} (the
 * script exited non-zero), {@code timed-out}, {@code interrupted}, {@code not-found}, {@code error}.
 * {@code error} says why a finished capture failed (null when it is ok or still runs); {@code truncated} is true
 * when the output was cut at a cap (the dump's header says how), null otherwise: both are left out of the JSON
 * when null, so that older readers see the same fields as before.
 * {@link #listToJson}, {@link #listFromJson} and the per-capture methods are the wire form (with {@link JsonValues}).
 */
public record CaptureInfo(String captureId, String node, String namespace, String pod, String container,
                          String start, String end, String outcome, String engine, Integer exitCode, Long bytes,
                          String error, Boolean truncated) {

    /** A capture without an error and not truncated (a running one, or one from an agent that does not say). */
    public CaptureInfo(String captureId, String node, String namespace, String pod, String container,
                       String start, String end, String outcome, String engine, Integer exitCode, Long bytes) {
        this(captureId, node, namespace, pod, container, start, end, outcome, engine, exitCode, bytes, null, null);
    }

    /** The body of {@code GET /v1/captures}: {@code {"captures":[...]}}. */
    public static Map<String, Object> listToJson(List<CaptureInfo> captures) {
        return Map.of("captures", captures.stream().map(CaptureInfo::toJson).toList());
    }

    /** Reads {@code {"captures":[...]}}, or a bare array of captures. */
    public static List<CaptureInfo> listFromJson(Object json) {
        Object captures = json instanceof Map<?, ?> body ? body.get("captures") : json;
        return list(captures, "captures").stream().map(CaptureInfo::fromJson).toList();
    }

    public static CaptureInfo fromJson(Object json) {
        Map<String, Object> capture = object(json, null);
        return new CaptureInfo(string(capture.get("captureId"), "captureId"), string(capture.get("node"), "node"),
                string(capture.get("namespace"), "namespace"), string(capture.get("pod"), "pod"),
                string(capture.get("container"), "container"), string(capture.get("start"), "start"),
                string(capture.get("end"), "end"), string(capture.get("outcome"), "outcome"),
                string(capture.get("engine"), "engine"), integer(capture.get("exitCode"), "exitCode"),
                whole(capture.get("bytes"), "bytes"), string(capture.get("error"), "error"),
                flag(capture.get("truncated"), "truncated"));
    }

    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("captureId", captureId);
        json.put("node", node);
        json.put("namespace", namespace);
        json.put("pod", pod);
        json.put("container", container);
        json.put("start", start);
        json.put("end", end);
        json.put("outcome", outcome);
        json.put("engine", engine);
        json.put("exitCode", exitCode);
        json.put("bytes", bytes);
        if (error != null) {
            json.put("error", error);
        }
        if (truncated != null) {
            json.put("truncated", truncated);
        }
        return json;
    }

    private static Boolean flag(Object value, String name) {
        if (value == null || value instanceof Boolean) {
            return (Boolean) value;
        }
        throw new IllegalArgumentException(name + " must be true or false");
    }
}
