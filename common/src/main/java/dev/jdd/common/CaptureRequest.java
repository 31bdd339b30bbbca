package dev.jdd.common;

import java.util.Map;

/** Body of the agent's {@code POST /v1/captures}. {@code alert} may be null. */
public record CaptureRequest(String namespace, String pod, String container, Alert alert) {

    /** What fired: only ever written into the dump header, never near a shell. */
    public record Alert(String name, String value, Map<String, String> labels) {
    }
}
