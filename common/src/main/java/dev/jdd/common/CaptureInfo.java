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
 * {@link #listToJson}, {@link #listFromJson} and the per-capture methods are the wire form (with {@link JsonValues}).
 */
public record CaptureInfo(String captureId, String node, String namespace, String pod, String container,
                          String start, String end, String outcome, String engine, Integer exitCode, Long bytes) {

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
                whole(capture.get("bytes"), "bytes"));
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
        return json;
    }
}
