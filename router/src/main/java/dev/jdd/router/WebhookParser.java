package dev.jdd.router;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.jdd.common.CaptureRequest;
import dev.jdd.common.Json;

import java.io.IOException;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a webhook body by its shape: Grafana legacy alerting ({@code state}, {@code evalMatches[].tags}), Grafana
 * unified alerting and Prometheus Alertmanager ({@code alerts[]} with {@code status} and {@code labels}; Grafana adds
 * {@code orgId}, {@code version "1"}, {@code state}/{@code title}/{@code message} and per-alert URLs). Unknown fields
 * are ignored. Only firing/alerting entries become targets; entries without a pod label become none.
 */
public final class WebhookParser {
    private static final int MAX_LABELS_KEPT = 64;
    private static final int MAX_LABEL_VALUE_KEPT = 1024;

    private final RouterConfig.LabelNames labels;

    public WebhookParser(RouterConfig.LabelNames labels) {
        this.labels = labels;
    }

    /** @throws HookException 400 for a body that is not JSON or not one of the known shapes */
    public ParsedWebhook parse(byte[] body) {
        if (body.length == 0 || new String(body, 0, Math.min(body.length, 64), java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
            throw new HookException(400, "empty body: expected a Grafana or Alertmanager webhook (JSON)");
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(body);
        } catch (JacksonException e) {
            throw new HookException(400, "body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new HookException(400, "body cannot be read: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new HookException(400, "expected a JSON object (a Grafana or Alertmanager webhook)");
        }
        Map<String, AlertTarget> targets = new LinkedHashMap<>();
        WebhookFormat format;
        if (root.has("alerts")) {
            format = isGrafanaUnified(root) ? WebhookFormat.GRAFANA_UNIFIED : WebhookFormat.ALERTMANAGER;
            readAlerts(root, format, targets);
        } else if (root.has("evalMatches") || (root.has("state") && (root.has("ruleId") || root.has("ruleName")))) {
            format = WebhookFormat.GRAFANA_LEGACY;
            readLegacy(root, targets);
        } else {
            throw new HookException(400, "unknown payload shape: expected alerts[] (Grafana unified alerting, "
                    + "Alertmanager) or state and evalMatches[] (Grafana legacy alerting)");
        }
        return new ParsedWebhook(format, List.copyOf(targets.values()));
    }

    private static boolean isGrafanaUnified(JsonNode root) {
        if ("1".equals(text(root, "version")) || root.has("orgId") || root.has("state") || root.has("title")
                || root.has("message")) {
            return true;
        }
        JsonNode alerts = root.get("alerts");
        if (alerts != null && alerts.isArray()) {
            for (JsonNode a : alerts) {
                if (a.isObject() && (a.has("silenceURL") || a.has("dashboardURL") || a.has("panelURL")
                        || a.has("valueString") || a.has("values") || a.has("imageURL"))) {
                    return true;
                }
            }
        }
        return false;
    }

    private void readAlerts(JsonNode root, WebhookFormat format, Map<String, AlertTarget> targets) {
        JsonNode alerts = root.get("alerts");
        if (alerts.isNull()) {
            return;
        }
        if (!alerts.isArray()) {
            throw new HookException(400, "alerts must be an array");
        }
        String groupStatus = text(root, "status");
        for (int i = 0; i < alerts.size(); i++) {
            JsonNode alert = alerts.get(i);
            if (!alert.isObject()) {
                throw new HookException(400, "alerts[" + i + "] must be an object");
            }
            Map<String, String> alertLabels = stringMap(alert.get("labels"), "alerts[" + i + "].labels");
            String status = text(alert, "status");
            if (status == null) {
                status = groupStatus; // very old Alertmanager versions only had the group's status
            }
            if (!"firing".equalsIgnoreCase(status)) {
                continue;
            }
            String value = format == WebhookFormat.GRAFANA_UNIFIED ? grafanaValue(alert) : null;
            add(targets, alertLabels, alertLabels.get("alertname"), value, AlertOrigins.ofAlert(alert));
        }
    }

    private void readLegacy(JsonNode root, Map<String, AlertTarget> targets) {
        String state = text(root, "state");
        if (!"alerting".equalsIgnoreCase(state)) {
            return; // ok, no_data, pending, paused
        }
        String ruleName = text(root, "ruleName");
        Map<String, String> ruleTags = stringMap(root.get("tags"), "tags");
        AlertTarget.Origin origin = AlertOrigins.ofLegacy(root);
        JsonNode matches = root.get("evalMatches");
        if (matches == null || matches.isNull() || (matches.isArray() && matches.isEmpty())) {
            add(targets, ruleTags, ruleName, null, origin);
            return;
        }
        if (!matches.isArray()) {
            throw new HookException(400, "evalMatches must be an array");
        }
        for (int i = 0; i < matches.size(); i++) {
            JsonNode match = matches.get(i);
            if (!match.isObject()) {
                throw new HookException(400, "evalMatches[" + i + "] must be an object");
            }
            Map<String, String> merged = new LinkedHashMap<>(ruleTags);
            merged.putAll(stringMap(match.get("tags"), "evalMatches[" + i + "].tags"));
            JsonNode v = match.get("value");
            add(targets, merged, ruleName, v == null || v.isNull() ? null : v.isNumber() ? plain(v) : v.asText(), origin);
        }
    }

    private void add(Map<String, AlertTarget> targets, Map<String, String> alertLabels, String name, String value,
                     AlertTarget.Origin origin) {
        String pod = blankToNull(alertLabels.get(labels.pod()));
        if (pod == null) {
            return; // not about a pod: Grafana test notifications, node or service alerts
        }
        String container = blankToNull(alertLabels.get(labels.container()));
        if ("POD".equals(container)) {
            container = null; // cAdvisor's name for the pod sandbox: the alert is about the pod as a whole
        }
        AlertTarget t = new AlertTarget(blankToNull(alertLabels.get(labels.namespace())), pod, container,
                blankToNull(alertLabels.get(labels.node())), new CaptureRequest.Alert(name, value, kept(alertLabels)), origin);
        targets.putIfAbsent(t.key(), t);
    }

    /** Grafana 9+ sends {@code values} ({"B": 44.2, "C": 1}); Grafana 8 sends {@code valueString}. */
    private static String grafanaValue(JsonNode alert) {
        JsonNode values = alert.get("values");
        if (values != null && values.isObject() && !values.isEmpty()) {
            StringBuilder sb = new StringBuilder();
            for (Iterator<Map.Entry<String, JsonNode>> it = values.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!sb.isEmpty()) {
                    sb.append(", ");
                }
                sb.append(e.getKey()).append('=').append(e.getValue().isNumber() ? plain(e.getValue()) : e.getValue().asText());
            }
            return sb.toString();
        }
        return blankToNull(text(alert, "valueString"));
    }

    private static String plain(JsonNode number) {
        BigDecimal d = number.decimalValue();
        return d.stripTrailingZeros().scale() <= 0 ? d.toBigInteger().toString() : d.toPlainString();
    }

    private static Map<String, String> stringMap(JsonNode node, String where) {
        Map<String, String> m = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return m;
        }
        if (!node.isObject()) {
            throw new HookException(400, where + " must be an object of strings");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (v.isContainerNode()) {
                throw new HookException(400, where + "." + e.getKey() + " must be a string");
            }
            m.put(e.getKey(), v.isNull() ? "" : v.asText());
        }
        return m;
    }

    /** Labels go into the dump header only; cap what a hostile sender can make every agent write. */
    private static Map<String, String> kept(Map<String, String> all) {
        Map<String, String> kept = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : all.entrySet()) {
            if (kept.size() == MAX_LABELS_KEPT) {
                break;
            }
            String v = e.getValue();
            kept.put(e.getKey(), v.length() > MAX_LABEL_VALUE_KEPT ? v.substring(0, MAX_LABEL_VALUE_KEPT) : v);
        }
        return kept;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() || v.isContainerNode() ? null : v.asText();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
