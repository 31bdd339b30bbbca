package dev.jdd.common;

/**
 * One capture as {@code GET /v1/captures} lists it (metadata only; the dump is at
 * {@code GET /v1/captures/{captureId}}). Times are ISO-8601 UTC; {@code end} and {@code outcome} are null
 * while the capture runs or waits. Outcomes of a finished capture: {@code ok}, {@code failed} (the
 * script exited non-zero), {@code timed-out}, {@code interrupted}, {@code not-found}, {@code error}.
 */
public record CaptureInfo(String captureId, String node, String namespace, String pod, String container,
                          String start, String end, String outcome, String engine, Integer exitCode, Long bytes) {
}
