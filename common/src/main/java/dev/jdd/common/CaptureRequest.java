package dev.jdd.common;

import static dev.jdd.common.JsonValues.object;
import static dev.jdd.common.JsonValues.string;
import static dev.jdd.common.JsonValues.text;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Body of the agent's {@code POST /v1/captures}. {@code alert} may be null. {@link #fromJson} and {@link #toJson}
 * are its wire form (with {@link JsonValues}): unknown fields are ignored, null fields left out.
 */
public record CaptureRequest(String namespace, String pod, String container, Alert alert) {
    /** Characters of an alert's name and value the agent keeps (its dump header cuts them there). */
    public static final int ALERT_TEXT_MAX = 512;


    /** Missing fields are null: whether the names are there and valid is the agent's check, not the wire form's. */
    public static CaptureRequest fromJson(Object json) {
        Map<String, Object> body = object(json, null);
        return new CaptureRequest(string(body.get("namespace"), "namespace"), string(body.get("pod"), "pod"),
                string(body.get("container"), "container"), Alert.fromJson(body.get("alert")));
    }

    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("namespace", namespace);
        json.put("pod", pod);
        json.put("container", container);
        json.put("alert", alert == null ? null : alert.toJson());
        return json;
    }

    /** What fired: only ever written into the dump header, never near a shell. */
    public record Alert(String name, String value, Map<String, String> labels) {

        /** {@code value} may also come as a JSON number (the alert's numeric value); it is kept as its text. */
        private static Alert fromJson(Object json) {
            if (json == null) {
                return null;
            }
            Map<String, Object> alert = object(json, "alert");
            Map<String, String> labels = null;
            if (alert.get("labels") != null) {
                labels = new LinkedHashMap<>();
                for (Map.Entry<String, Object> label : object(alert.get("labels"), "alert.labels").entrySet()) {
                    labels.put(label.getKey(), string(label.getValue(), "alert.labels." + label.getKey()));
                }
            }
            return new Alert(string(alert.get("name"), "alert.name"), text(alert.get("value"), "alert.value"), labels);
        }

        private Map<String, Object> toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("name", name);
            json.put("value", value);
            json.put("labels", labels);
            return json;
        }
    }
}
