package dev.jdd.router;

import dev.jdd.common.CaptureRequest;

/**
 * One pod (maybe one container, maybe on a known node) that an alert names, with what fired.
 * {@code container} and {@code node} are null when the alert did not say; placement fills them in.
 * {@code origin} says where in Grafana the alert came from (for the annotation), {@link Origin#NONE} when unknown.
 */
public record AlertTarget(String namespace, String pod, String container, String node, CaptureRequest.Alert alert,
                          Origin origin) {

    public AlertTarget(String namespace, String pod, String container, String node, CaptureRequest.Alert alert) {
        this(namespace, pod, container, node, alert, Origin.NONE);
    }

    /**
     * The alert's dashboard (UID, or the legacy numeric id) and panel, each null when the alert names none, and when it
     * started (epoch milliseconds, null when the sender did not say).
     */
    public record Origin(String dashboardUid, Long dashboardId, Long panelId, Long startsAtMillis) {
        public static final Origin NONE = new Origin(null, null, null, null);
    }

    /** Two targets that name the same thing collapse into one. */
    String key() {
        return namespace + '\u0000' + pod + '\u0000' + container + '\u0000' + node;
    }
}
