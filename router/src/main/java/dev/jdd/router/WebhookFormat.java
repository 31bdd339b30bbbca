package dev.jdd.router;

import com.fasterxml.jackson.annotation.JsonValue;

/** The senders the router recognises by the shape of their body. */
public enum WebhookFormat {
    GRAFANA_LEGACY("grafana-legacy"),
    GRAFANA_UNIFIED("grafana-unified"),
    ALERTMANAGER("alertmanager");

    private final String wire;

    WebhookFormat(String wire) {
        this.wire = wire;
    }

    @JsonValue
    public String wire() {
        return wire;
    }
}
