package dev.jdd.common;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Per-target answers. The first group is the agent's admission decision ({@code POST /v1/captures});
 * the second is the router's own. {@link #retryable()} marks outcomes that a later retry can change,
 * for which the router answers 503 so that Alertmanager retries.
 */
public enum Outcome {
    ACCEPTED("accepted", false),
    IN_PROGRESS("in-progress", false),
    COOLDOWN("cooldown", false),
    BUSY("busy", true),
    NOT_FOUND("not-found", false),
    STOPPING("stopping", true),
    INVALID("invalid", false),
    /** The agent could not ask its container runtime (dockerd or containerd down or restarting); detail says why. */
    ERROR("error", true),
    NO_AGENT("no-agent", true),
    AGENT_UNREACHABLE("agent-unreachable", true),
    DRY_RUN("dry-run", false);

    private final String wire;
    private final boolean retryable;

    Outcome(String wire, boolean retryable) {
        this.wire = wire;
        this.retryable = retryable;
    }

    @JsonValue
    public String wire() {
        return wire;
    }

    public boolean retryable() {
        return retryable;
    }

    @JsonCreator
    public static Outcome fromWire(String wire) {
        for (Outcome o : values()) {
            if (o.wire.equals(wire)) {
                return o;
            }
        }
        throw new IllegalArgumentException("unknown outcome " + wire);
    }
}
