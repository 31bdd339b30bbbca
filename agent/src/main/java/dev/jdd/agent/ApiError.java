package dev.jdd.agent;

import dev.jdd.common.Outcome;

/**
 * The body of a refused {@code GET} call of the agent API ({@code {"outcome":"not-found","detail":"..."}}): the
 * same shape as an admission's refusal, but it admits nothing and carries no capture id.
 */
record ApiError(Outcome outcome, String detail) {
    static ApiError invalid(String detail) {
        return new ApiError(Outcome.INVALID, detail);
    }

    static ApiError notFound(String detail) {
        return new ApiError(Outcome.NOT_FOUND, detail);
    }
}
