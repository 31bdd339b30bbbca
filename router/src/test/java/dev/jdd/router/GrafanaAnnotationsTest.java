package dev.jdd.router;

import dev.jdd.common.Outcome;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which annotation each accepted capture gets, from the real payload fixtures. */
class GrafanaAnnotationsTest {
    private static final long NOW = 1_800_000_000_000L;
    private static final String PUBLIC = "https://jdd.example.com";
    private final WebhookParser parser = new WebhookParser(RouterConfig.LabelNames.DEFAULT);

    /** Every target accepted, as if placed on node "worker-9" when the alert named none. */
    private static HookResult accepted(ParsedWebhook hook) {
        List<TargetResult> results = new ArrayList<>();
        int i = 0;
        for (AlertTarget t : hook.targets()) {
            results.add(new TargetResult(t.namespace(), t.pod(), t.container() == null ? "app" : t.container(),
                    t.node() == null ? "worker-9" : t.node(), Outcome.ACCEPTED, "id-" + i++, null, t.origin()));
        }
        return new HookResult(hook.format(), results);
    }

    @Test
    void grafanaUnifiedAnnotatesThePanelAtTheAlertsStart() {
        ParsedWebhook hook = parser.parse(Payloads.read("grafana-unified-8-pods.json"));
        List<GrafanaAnnotations.Planned> plan = GrafanaAnnotations.plan(accepted(hook), PUBLIC, NOW);
        assertEquals(hook.targets().size(), plan.size());
        Map<String, Object> body = plan.getFirst().body();
        assertEquals("hyFvC6y7z", body.get("dashboardUID"));
        assertEquals(4L, body.get("panelId"));
        assertEquals(Instant.parse("2022-07-03T16:34:02.868Z").toEpochMilli(), body.get("time"));
        assertEquals(List.of("jdd", "shop", "checkout-7d9f8b6c5-x2x9q"), body.get("tags"));
        assertTrue(((String) body.get("text")).contains("<a href=\"https://jdd.example.com/captures/worker-1/id-0\">"), body.toString());
    }

    @Test
    void grafanaLegacyAnnotatesThePanelOfItsRuleNow() {
        ParsedWebhook hook = parser.parse(Payloads.read("grafana-legacy-pods.json"));
        Map<String, Object> body = GrafanaAnnotations.plan(accepted(hook), PUBLIC, NOW).getFirst().body();
        assertEquals("abc", body.get("dashboardUID"), "the UID from ruleUrl");
        assertEquals(4L, body.get("panelId"));
        assertFalse(body.containsKey("dashboardId"), "the UID wins over the deprecated numeric id");
        assertEquals(NOW, body.get("time"), "legacy alerts carry no start time");
    }

    @Test
    void alertmanagerMakesAnOrganisationAnnotation() {
        ParsedWebhook hook = parser.parse(Payloads.read("alertmanager-0.25-firing.json"));
        Map<String, Object> body = GrafanaAnnotations.plan(accepted(hook), null, NOW).getFirst().body();
        assertFalse(body.containsKey("dashboardUID") || body.containsKey("dashboardId") || body.containsKey("panelId"), body.toString());
        assertEquals(Instant.parse("2026-11-27T00:24:30Z").toEpochMilli(), body.get("time"));
        assertEquals(List.of("jdd", "shop", "checkout-7d9f8b6c5-x2x9q"), body.get("tags"));
        assertFalse(((String) body.get("text")).contains("href"), "no --public-url, no link");
    }

    @Test
    void onlyAcceptedCapturesAreAnnotated() {
        ParsedWebhook hook = parser.parse(Payloads.read("grafana-unified-8-pods.json"));
        List<TargetResult> results = new ArrayList<>();
        for (TargetResult r : accepted(hook).targets()) {
            results.add(new TargetResult(r.namespace(), r.pod(), r.container(), r.node(), Outcome.COOLDOWN, r.captureId(), null,
                    r.origin()));
        }
        assertTrue(GrafanaAnnotations.plan(new HookResult(hook.format(), results), PUBLIC, NOW).isEmpty());
    }

    @Test
    void originsFromUrls() {
        assertEquals("abc-DEF_1", AlertOrigins.dashboardUid("https://g.example.com/grafana/d/abc-DEF_1/jvm?orgId=1"));
        assertEquals("uid9", AlertOrigins.dashboardUid("http://localhost:3000/d/uid9"));
        assertNull(AlertOrigins.dashboardUid("http://localhost:3000/dashboards"));
        assertNull(AlertOrigins.dashboardUid(""));
        assertNull(AlertOrigins.dashboardUid("not a url at all"));
        assertEquals(7L, AlertOrigins.viewPanel("http://g/d/u/s?orgId=1&viewPanel=7"));
        assertEquals(12L, AlertOrigins.viewPanel("http://g/d/u/s?viewPanel=panel-12&orgId=1"), "Grafana 11 scenes");
        assertNull(AlertOrigins.viewPanel("http://g/d/u/s?orgId=1"));
        assertNull(AlertOrigins.startsAt("0001-01-01T00:00:00Z"), "Go's zero time");
        assertEquals(Instant.parse("2021-10-12T07:51:03.157Z").toEpochMilli(), AlertOrigins.startsAt("2021-10-12T09:51:03.157076+02:00"));
        assertNull(AlertOrigins.startsAt("yesterday"));
    }
}
