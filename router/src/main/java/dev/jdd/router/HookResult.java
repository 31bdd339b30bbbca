package dev.jdd.router;

import java.util.List;

/** The {@code POST /hooks} answer: 503 when any target can be fixed by a retry, else 202. */
public record HookResult(WebhookFormat format, List<TargetResult> targets) {

    public int httpStatus() {
        return targets.stream().anyMatch(t -> t.outcome().retryable()) ? 503 : 202;
    }
}
