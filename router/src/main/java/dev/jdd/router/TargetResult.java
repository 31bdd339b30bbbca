package dev.jdd.router;

import dev.jdd.common.Outcome;

/** One line of the {@code POST /hooks} answer. */
public record TargetResult(String namespace, String pod, String container, String node, Outcome outcome,
                           String captureId, String detail) {
}
