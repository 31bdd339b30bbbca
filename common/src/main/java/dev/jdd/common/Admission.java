package dev.jdd.common;

import static dev.jdd.common.JsonValues.object;
import static dev.jdd.common.JsonValues.string;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The agent's answer to {@code POST /v1/captures}: outcome, capture id where one exists, detail for invalid.
 * {@link #fromJson} and {@link #toJson} are its wire form (with {@link JsonValues}); the outcome travels as
 * {@link Outcome#wire()}.
 */
public record Admission(Outcome outcome, String captureId, String detail) {

    public static Admission of(Outcome outcome) {
        return new Admission(outcome, null, null);
    }

    public static Admission of(Outcome outcome, String captureId) {
        return new Admission(outcome, captureId, null);
    }

    public static Admission invalid(String detail) {
        return new Admission(Outcome.INVALID, null, detail);
    }

    /** A missing outcome is null (the caller decides what that means); an unknown one is an error. */
    public static Admission fromJson(Object json) {
        Map<String, Object> body = object(json, null);
        String outcome = string(body.get("outcome"), "outcome");
        return new Admission(outcome == null ? null : Outcome.fromWire(outcome),
                string(body.get("captureId"), "captureId"), string(body.get("detail"), "detail"));
    }

    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("outcome", outcome == null ? null : outcome.wire());
        json.put("captureId", captureId);
        json.put("detail", detail);
        return json;
    }

    /** The contracted HTTP status for this answer. */
    public int httpStatus() {
        return switch (outcome) {
            case ACCEPTED -> 202;
            case BUSY -> 429;
            case NOT_FOUND -> 404;
            case STOPPING, ERROR -> 503;
            case INVALID -> 400;
            default -> 200;
        };
    }
}
