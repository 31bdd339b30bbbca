package dev.jdd.router;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jdd.common.Json;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Grafana annotations from a real router to a fake Grafana on loopback (a Helidon WebServer that checks the request
 * against the documented {@code POST /api/annotations}): answered, refused with 500, hanging, and down.
 */
class GrafanaAnnotationsIT {
    private static final String TOKEN = "agent-token";
    private static final String GRAFANA_TOKEN = "glsa_test_token";

    /** What the fake Grafana saw: method, path, headers and body of each request. */
    record Seen(String method, String path, String authorization, String contentType, JsonNode body) {
    }

    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private volatile int answerStatus = 200;
    private final CountDownLatch release = new CountDownLatch(1);
    private volatile boolean hang;
    private WebServer grafana;
    private FakeAgent agent;
    private TestRouter router;

    @BeforeEach
    void start() throws IOException {
        grafana = WebServer.builder().host("127.0.0.1").port(0).routing(r -> r.any((req, res) -> {
            byte[] body = req.content().hasEntity() ? req.content().as(byte[].class) : new byte[0];
            seen.add(new Seen(req.prologue().method().text(), req.path().rawPath(),
                    req.headers().first(HeaderNames.AUTHORIZATION).orElse(null),
                    req.headers().first(HeaderNames.CONTENT_TYPE).orElse(null),
                    body.length == 0 ? null : Json.MAPPER.readTree(body)));
            if (hang) {
                release.await(60, TimeUnit.SECONDS);
            }
            res.status(answerStatus).header(HeaderNames.CONTENT_TYPE, "application/json")
                    .send(answerStatus == 200 ? "{\"message\":\"Annotation added\",\"id\":1}" : "{\"message\":\"internal error\"}");
        })).build().start();
        agent = FakeAgent.start("127.0.0.7", 0, TOKEN);
    }

    private void router(String grafanaUrl, String readTimeout) {
        router = TestRouter.start(null, "--token=" + TOKEN, "--agents=worker-1=" + agent.uri(),
                "--grafana-url=" + grafanaUrl, "--grafana-token=" + GRAFANA_TOKEN,
                "--public-url=https://jdd.example.com/", "--read-timeout=" + readTimeout);
    }

    @AfterEach
    void stop() {
        release.countDown();
        if (router != null) {
            router.close();
        }
        agent.close();
        grafana.stop();
    }

    private static String alert(String pod, String panelUrl) {
        return "{\"status\":\"firing\",\"labels\":{\"alertname\":\"JvmCpuHigh\",\"namespace\":\"shop\",\"pod\":\"" + pod
                + "\",\"container\":\"app\",\"node\":\"worker-1\"},\"startsAt\":\"2026-11-27T10:00:00Z\","
                + "\"endsAt\":\"0001-01-01T00:00:00Z\",\"dashboardURL\":\"\",\"panelURL\":\"" + panelUrl + "\",\"values\":{\"B\":97}}";
    }

    private static String grafanaHook(String... alerts) {
        return "{\"receiver\":\"jdd\",\"status\":\"firing\",\"orgId\":1,\"version\":\"1\",\"alerts\":[" + String.join(",", alerts) + "]}";
    }

    private String grafanaUrl() {
        return "http://127.0.0.1:" + grafana.port();
    }

    private long metric(String result) throws Exception {
        String text = router.get("/metrics").body();
        String prefix = "jdd_router_annotations_total{result=\"" + result + "\"} ";
        return text.lines().filter(l -> l.startsWith(prefix)).mapToLong(l -> Long.parseLong(l.substring(prefix.length())))
                .findFirst().orElseThrow(() -> new AssertionError("no " + prefix + " in\n" + text));
    }

    private void waitForMetric(String result, long value) throws Exception {
        for (int i = 0; i < 200 && metric(result) < value; i++) {
            Thread.sleep(50);
        }
        assertEquals(value, metric(result), router.get("/metrics").body());
    }

    @Test
    void acceptedCaptureAnnotatesTheAlertsPanelThroughTheDocumentedApi() throws Exception {
        router(grafanaUrl(), "5s");
        HttpResponse<String> res = router.post("/hooks", grafanaHook(
                alert("checkout-1", "https://grafana.example.com/d/jvm-cpu/jvm?orgId=1&viewPanel=4"),
                alert("checkout-2", "")));
        assertEquals(202, res.statusCode(), res.body());
        waitForMetric("ok", 2);
        assertEquals(2, seen.size());
        JsonNode targets = Json.MAPPER.readTree(res.body()).get("targets");
        for (Seen s : seen) {
            assertEquals("POST", s.method());
            assertEquals("/api/annotations", s.path());
            assertEquals("Bearer " + GRAFANA_TOKEN, s.authorization());
            assertTrue(s.contentType().startsWith("application/json"), s.contentType());
            assertEquals(Instant.parse("2026-11-27T10:00:00Z").toEpochMilli(), s.body().get("time").asLong());
        }
        Seen panel = seen.stream().filter(s -> s.body().get("tags").toString().contains("checkout-1")).findFirst().orElseThrow();
        assertEquals("jvm-cpu", panel.body().get("dashboardUID").asText());
        assertEquals(4, panel.body().get("panelId").asInt());
        assertEquals("[\"jdd\",\"shop\",\"checkout-1\"]", panel.body().get("tags").toString());
        String id = targets.get(0).get("captureId").asText();
        assertTrue(panel.body().get("text").asText().contains("https://jdd.example.com/captures/worker-1/" + id), panel.body().toString());

        Seen org = seen.stream().filter(s -> s.body().get("tags").toString().contains("checkout-2")).findFirst().orElseThrow();
        assertTrue(!org.body().has("dashboardUID") && !org.body().has("dashboardId") && !org.body().has("panelId"),
                "no panel: an organisation annotation " + org.body());
        assertEquals("[\"jdd\",\"shop\",\"checkout-2\"]", org.body().get("tags").toString());
    }

    @Test
    void grafanaAnswering500IsCountedAndTheWebhookStillSucceeds() throws Exception {
        answerStatus = 500;
        router(grafanaUrl(), "5s");
        HttpResponse<String> res = router.post("/hooks", grafanaHook(alert("checkout-1", "")));
        assertEquals(202, res.statusCode(), res.body());
        waitForMetric("failed", 1);
        assertEquals(0, metric("ok"));
        assertEquals(1, seen.size());
    }

    @Test
    void hangingGrafanaNeitherDelaysTheWebhookNorPilesUp() throws Exception {
        hang = true;
        router(grafanaUrl(), "2s");
        String[] alerts = new String[GrafanaAnnotations.MAX_IN_FLIGHT + 2];
        for (int i = 0; i < alerts.length; i++) {
            alerts[i] = alert("checkout-" + i, "");
        }
        long start = System.nanoTime();
        HttpResponse<String> res = router.post("/hooks", grafanaHook(alerts));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(202, res.statusCode(), res.body());
        assertTrue(millis < 1500, "the webhook waited for Grafana: " + millis + " ms");
        assertEquals(2, metric("dropped"), "more than " + GrafanaAnnotations.MAX_IN_FLIGHT + " at once are dropped");
        // each hanging call ends at the read timeout and is counted
        waitForMetric("unreachable", GrafanaAnnotations.MAX_IN_FLIGHT);
        assertEquals(GrafanaAnnotations.MAX_IN_FLIGHT, seen.size());
        // a second webhook right after: answered at once again, and annotated again (the slots are free)
        hang = false;
        long again = System.nanoTime();
        assertEquals(202, router.post("/hooks", grafanaHook(alert("checkout-x", ""))).statusCode());
        assertTrue((System.nanoTime() - again) / 1_000_000 < 1500);
        waitForMetric("ok", 1);
    }

    @Test
    void grafanaDownIsCounted() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            closedPort = s.getLocalPort();
        }
        router("http://127.0.0.1:" + closedPort, "2s");
        assertEquals(202, router.post("/hooks", grafanaHook(alert("checkout-1", ""))).statusCode());
        waitForMetric("unreachable", 1);
    }
}
