package dev.jdd.router;

import dev.jdd.common.CaptureRequest;

/**
 * One pod (maybe one container, maybe on a known node) that an alert names, with what fired.
 * {@code container} and {@code node} are null when the alert did not say; placement fills them in.
 */
public record AlertTarget(String namespace, String pod, String container, String node, CaptureRequest.Alert alert) {

    /** Two targets that name the same thing collapse into one. */
    String key() {
        return namespace + '\u0000' + pod + '\u0000' + container + '\u0000' + node;
    }
}
