package dev.jdd.common;

/**
 * The agent's answer to {@code POST /v1/captures}: outcome, capture id where one exists, detail for invalid.
 * Read and written with {@link Json}; the outcome travels as {@link Outcome#wire()}. A missing
 * outcome reads as null (the caller decides what that means); an unknown one is an error.
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
