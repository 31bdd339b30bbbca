package dev.jdd.common;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One capture as {@code GET /v1/captures} lists it (metadata only; the dump is at
 * {@code GET /v1/captures/{captureId}}). Times are ISO-8601 UTC; {@code end} and {@code outcome} are null
 * while the capture runs or waits. Outcomes of a finished capture: {@code ok}, {@code failed} (the
 * script exited non-zero), {@code timed-out}, {@code interrupted}, {@code not-found}, {@code error}.
 * {@code error} says why a finished capture failed (null when it is ok or still runs); {@code truncated} is true
 * when the output was cut at a cap (the dump's header says how), null otherwise: both are left out of the JSON
 * when null, so that older readers see the same fields as before.
 * {@code engine} is the dump tool that dumped the threads ({@code jcmd}, {@code node}, ...), under its wire name.
 * Read and written with {@link Json}; the list is {@code {"captures":[...]}} ({@link #listBody}, {@link #readList}).
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
    public static Map<String, List<CaptureInfo>> listBody(List<CaptureInfo> captures) {
        return Map.of("captures", captures);
    }

    /** Reads {@code {"captures":[...]}}, or a bare array of captures. */
    public static List<CaptureInfo> readList(byte[] json) {
        JsonNode body = Json.readTree(json);
        JsonNode captures = body.isObject() ? body.get("captures") : body;
        if (captures == null || !captures.isArray()) {
            throw new IllegalArgumentException("captures must be a JSON array, not "
                    + (captures == null ? "absent" : captures.getNodeType().toString().toLowerCase(Locale.ROOT)));
        }
        List<CaptureInfo> list = Arrays.asList(Json.read(captures, CaptureInfo[].class));
        if (list.contains(null)) {
            throw new IllegalArgumentException("captures must hold JSON objects, not null");
        }
        return List.copyOf(list);
    }
}
