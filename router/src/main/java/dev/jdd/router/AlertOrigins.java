package dev.jdd.router;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.URI;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where in Grafana an alert came from, read from the webhook: Grafana unified alerting puts {@code panelURL}
 * ({@code .../d/<uid>/<slug>?orgId=1&viewPanel=<id>}) and {@code dashboardURL} on each alert, and {@code startsAt};
 * legacy alerting sends {@code dashboardId}, {@code panelId} and {@code ruleUrl} ({@code .../d/<uid>/...}) for the whole
 * notification; Alertmanager names no dashboard, only {@code startsAt}.
 */
final class AlertOrigins {
    private static final Pattern DASHBOARD_PATH = Pattern.compile("/d/([A-Za-z0-9_-]{1,64})(?:/|$)");
    /** {@code viewPanel=4}, or {@code viewPanel=panel-4} from Grafana 11's scenes. */
    private static final Pattern VIEW_PANEL = Pattern.compile("(?:^|&)viewPanel=(?:panel-)?(\\d{1,9})(?:&|$)");

    private AlertOrigins() {
    }

    /** One entry of {@code alerts[]} (Grafana unified or Alertmanager). */
    static AlertTarget.Origin ofAlert(JsonNode alert) {
        String panelUrl = text(alert, "panelURL");
        String dashboardUrl = text(alert, "dashboardURL");
        String uid = dashboardUid(panelUrl);
        Long panel = uid == null ? null : viewPanel(panelUrl);
        if (uid == null) {
            uid = dashboardUid(dashboardUrl);
        }
        return new AlertTarget.Origin(uid, null, panel, startsAt(text(alert, "startsAt")));
    }

    /** A Grafana legacy notification: one dashboard and panel for all its matches; it carries no start time. */
    static AlertTarget.Origin ofLegacy(JsonNode root) {
        String uid = dashboardUid(text(root, "ruleUrl"));
        Long dashboardId = number(root.get("dashboardId"));
        Long panel = number(root.get("panelId"));
        if (uid == null && dashboardId == null) {
            panel = null;
        }
        return new AlertTarget.Origin(uid, uid == null ? dashboardId : null, panel, null);
    }

    static String dashboardUid(String url) {
        URI uri = uri(url);
        if (uri == null || uri.getRawPath() == null) {
            return null;
        }
        Matcher m = DASHBOARD_PATH.matcher(uri.getRawPath());
        return m.find() ? m.group(1) : null;
    }

    static Long viewPanel(String url) {
        URI uri = uri(url);
        if (uri == null || uri.getRawQuery() == null) {
            return null;
        }
        Matcher m = VIEW_PANEL.matcher(uri.getRawQuery());
        return m.find() ? Long.valueOf(m.group(1)) : null;
    }

    /** RFC 3339 with any offset; Go's zero time ({@code 0001-01-01T00:00:00Z}) and nonsense count as "not said". */
    static Long startsAt(String text) {
        if (text == null) {
            return null;
        }
        try {
            OffsetDateTime t = OffsetDateTime.parse(text);
            return t.getYear() < 1970 ? null : t.toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static URI uri(String url) {
        if (url == null || url.isBlank() || url.length() > 4096) {
            return null;
        }
        try {
            return URI.create(url.strip());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static Long number(JsonNode v) {
        if (v == null || !v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() <= 0) {
            return null;
        }
        return v.asLong();
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || !v.isTextual() ? null : v.asText();
    }
}
