package dev.jdd.router;

import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.jdd.common.Outcome;

/**
 * One line of the {@code POST /hooks} answer. {@code origin} is where in Grafana the target's alert came from, carried
 * along for the annotation; it is not part of the answer.
 */
public record TargetResult(String namespace, String pod, String container, String node, Outcome outcome,
                           String captureId, String detail, @JsonIgnore AlertTarget.Origin origin) {
}
