package dev.jdd.router;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WebhookParserTest {
    private final WebhookParser parser = new WebhookParser(RouterConfig.LabelNames.DEFAULT);

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "alertmanager-0.25-firing.json, alertmanager, 1",
            "alertmanager-0.25-resolved.json, alertmanager, 0",
            "alertmanager-v4-old.json, alertmanager, 1",
            "grafana-legacy-docs.json, grafana-legacy, 0",
            "grafana-legacy-test-notification.json, grafana-legacy, 0",
            "grafana-legacy-pods.json, grafana-legacy, 2",
            "grafana-legacy-ok.json, grafana-legacy, 0",
            "grafana-legacy-no-data.json, grafana-legacy, 0",
            "grafana-unified-8.4-test-notification.json, grafana-unified, 0",
            "grafana-unified-8.6-node-alert.json, grafana-unified, 0",
            "grafana-unified-8-pods.json, grafana-unified, 2",
            "grafana-unified-docs.json, grafana-unified, 0",
            "grafana-unified-11-pods.json, grafana-unified, 2",
    })
    void everyFixtureIsRecognisedWithItsFiringPodTargets(String file, String format, int targets) {
        ParsedWebhook hook = parser.parse(Payloads.read(file));
        assertEquals(format, hook.format().wire());
        assertEquals(targets, hook.targets().size(), hook.targets().toString());
    }

    @Test
    void realAlertmanagerBodyGivesTheFullTarget() {
        AlertTarget t = parser.parse(Payloads.read("alertmanager-0.25-firing.json")).targets().getFirst();
        assertEquals(List.of("shop", "checkout-7d9f8b6c5-x2x9q", "app", "worker-1"),
                List.of(t.namespace(), t.pod(), t.container(), t.node()));
        assertEquals("JvmCpuHigh", t.alert().name());
        assertEquals("page", t.alert().labels().get("severity"));
    }

    @Test
    void legacyDuplicatesCollapseAndValueAndRuleNameAreKept() {
        List<AlertTarget> targets = parser.parse(Payloads.read("grafana-legacy-pods.json")).targets();
        assertEquals("checkout-7d9f8b6c5-x2x9q", targets.get(0).pod());
        assertEquals("97.3", targets.get(0).alert().value());
        assertEquals("JVM CPU high", targets.get(0).alert().name());
        assertEquals("shop", targets.get(0).alert().labels().get("team"), "rule tags are merged under the series tags");
        assertEquals("worker-2", targets.get(1).node());
    }

    @Test
    void grafanaTargetsWithoutNodeOrContainerAreLeftForPlacement() {
        List<AlertTarget> targets = parser.parse(Payloads.read("grafana-unified-8-pods.json")).targets();
        AlertTarget placed = targets.get(1);
        assertEquals("checkout-7d9f8b6c5-q8w7e", placed.pod());
        assertNull(placed.container());
        assertNull(placed.node());
        assertTrue(targets.get(0).alert().value().contains("value=97.3"), "Grafana 8 valueString is the alert value");
    }

    @Test
    void grafanaValuesMapIsTheValue() {
        AlertTarget t = parser.parse(Payloads.read("grafana-unified-11-pods.json")).targets().getFirst();
        assertEquals("B=44.23943737541908, C=1", t.alert().value());
        assertEquals("worker-1", t.node());
    }

    @Test
    void configurableLabelNames() {
        WebhookParser custom = new WebhookParser(new RouterConfig.LabelNames("kubernetes_namespace",
                "kubernetes_pod_name", "container_name", "kubernetes_node"));
        String body = """
                {"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"x",
                "kubernetes_namespace":"ns1","kubernetes_pod_name":"p-1","container_name":"c","kubernetes_node":"n1",
                "namespace":"other","pod":"other"}}]}""";
        AlertTarget t = custom.parse(body.getBytes(StandardCharsets.UTF_8)).targets().getFirst();
        assertEquals(List.of("ns1", "p-1", "c", "n1"), List.of(t.namespace(), t.pod(), t.container(), t.node()));
    }

    @Test
    void cadvisorPodContainerMeansTheWholePod() {
        String body = """
                {"status":"firing","alerts":[{"status":"firing","labels":{"namespace":"a","pod":"b","container":"POD"}}]}""";
        assertNull(parser.parse(body.getBytes(StandardCharsets.UTF_8)).targets().getFirst().container());
    }

    @Test
    void missingPerAlertStatusFallsBackToTheGroupStatus() {
        String body = """
                {"version":"4","status":"firing","alerts":[{"labels":{"namespace":"a","pod":"b"}}]}""";
        assertEquals(1, parser.parse(body.getBytes(StandardCharsets.UTF_8)).targets().size());
    }

    @Test
    void invalidNamesStillBecomeTargetsSoTheyCanBeAnsweredInvalid() {
        String body = """
                {"status":"firing","alerts":[{"status":"firing","labels":{"namespace":"../../etc","pod":"$(rm -rf /)","container":"a;b"}}]}""";
        AlertTarget t = parser.parse(body.getBytes(StandardCharsets.UTF_8)).targets().getFirst();
        assertEquals("$(rm -rf /)", t.pod());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "empty body|",
            "blank body|   ",
            "not JSON|{\"alerts\": [",
            "JSON array|[1,2]",
            "JSON string|\"firing\"",
            "unknown shape|{\"hello\":\"world\"}",
            "alerts not an array|{\"alerts\":{\"a\":1}}",
            "alert not an object|{\"alerts\":[1]}",
            "labels not strings|{\"alerts\":[{\"status\":\"firing\",\"labels\":{\"pod\":{\"x\":1}}}]}",
            "evalMatches not an array|{\"state\":\"alerting\",\"ruleName\":\"r\",\"evalMatches\":5}",
    })
    void badBodiesAre400(String what, String body) {
        HookException e = assertThrows(HookException.class,
                () -> parser.parse((body == null ? "" : body).getBytes(StandardCharsets.UTF_8)));
        assertEquals(400, e.status(), what);
    }

    @Test
    void deepNestingIs400NotAStackOverflow() {
        String deep = "{\"alerts\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        HookException e = assertThrows(HookException.class, () -> parser.parse(deep.getBytes(StandardCharsets.UTF_8)));
        assertEquals(400, e.status());
    }
}
