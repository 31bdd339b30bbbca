package dev.jdd.router;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jdd.common.Admission;
import dev.jdd.common.CaptureInfo;
import dev.jdd.common.CaptureRequest;
import dev.jdd.common.Json;
import dev.jdd.common.Outcome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A real router on loopback with static agents: fake agents on 127.0.0.2/.3 (same port) and hostile ones. */
class RouterHttpIT {
    private static final String TOKEN = "agent-token";
    private static FakeAgent a;
    private static FakeAgent b;
    private static FakeAgent.Hostile hang;
    private static FakeAgent.Hostile reset;
    private static FakeAgent.Hostile garbage;
    private static FakeAgent.Hostile flood;
    private static TestRouter router;

    @BeforeAll
    static void start() throws IOException {
        a = FakeAgent.start("127.0.0.2", 0, TOKEN);
        b = FakeAgent.start("127.0.0.3", a.port(), TOKEN);
        hang = new FakeAgent.Hostile("127.0.0.4", 0, FakeAgent.Hostile.Mode.HANG);
        reset = new FakeAgent.Hostile("127.0.0.5", 0, FakeAgent.Hostile.Mode.RESET);
        garbage = new FakeAgent.Hostile("127.0.0.6", 0, FakeAgent.Hostile.Mode.GARBAGE);
        flood = new FakeAgent.Hostile("127.0.0.8", 0, FakeAgent.Hostile.Mode.FLOOD);
        String agents = "worker-1=" + a.uri() + ",worker-2=" + b.uri() + ",node-hang=" + hang.uri()
                + ",node-reset=" + reset.uri() + ",node-garbage=" + garbage.uri() + ",node-down=http://127.0.0.7:9"
                + ",node-flood=" + flood.uri();
        router = TestRouter.start(null, "--agents=" + agents, "--token=" + TOKEN, "--read-timeout=1s",
                "--connect-timeout=1s", "--webhook-user=am", "--webhook-password=pw", "--webhook-bearer=bt",
                "--webhook-hmac-secret=hk", "--max-targets=20", "--max-body=64KiB");
    }

    @AfterAll
    static void stop() throws IOException {
        router.close();
        a.close();
        b.close();
        hang.close();
        reset.close();
        garbage.close();
        flood.close();
    }

    @BeforeEach
    void resetAgents() {
        for (FakeAgent f : List.of(a, b)) {
            f.requests.clear();
            f.dryRuns.clear();
            f.captures.clear();
            f.dumps.clear();
            f.delayMillis = 0;
            f.answer = r -> Admission.of(Outcome.ACCEPTED, "c-" + r.pod() + "-" + r.container());
        }
    }

    private static final String BASIC = "Basic " + Base64.getEncoder().encodeToString("am:pw".getBytes(StandardCharsets.UTF_8));

    private static HttpResponse<String> hook(String body) throws Exception {
        return router.post("/hooks", body, "Authorization", BASIC);
    }

    private static String alert(String namespace, String pod, String container, String node) {
        return "{\"status\":\"firing\",\"labels\":{\"alertname\":\"JvmCpuHigh\",\"namespace\":\"" + namespace + "\",\"pod\":\""
                + pod + "\"" + (container == null ? "" : ",\"container\":\"" + container + "\"")
                + (node == null ? "" : ",\"node\":\"" + node + "\"") + "}}";
    }

    private static String am(String... alerts) {
        return "{\"version\":\"4\",\"status\":\"firing\",\"receiver\":\"jdd\",\"alerts\":[" + String.join(",", alerts) + "]}";
    }

    private static JsonNode json(HttpResponse<String> res) throws IOException {
        return Json.MAPPER.readTree(res.body());
    }

    private static void assertStillServing() throws Exception {
        assertEquals(200, router.get("/health").statusCode());
    }

    @Test
    void realAlertmanagerBodyIsForwardedToTheNodesAgentWithTheToken() throws Exception {
        HttpResponse<String> res = router.post("/hooks", Payloads.read("alertmanager-0.25-firing.json"), "Authorization", BASIC);
        assertEquals(202, res.statusCode(), res.body());
        JsonNode body = json(res);
        assertEquals("alertmanager", body.get("format").asText());
        JsonNode t = body.get("targets").get(0);
        assertEquals("accepted", t.get("outcome").asText());
        assertEquals("c-checkout-7d9f8b6c5-x2x9q-app", t.get("captureId").asText());
        assertEquals("worker-1", t.get("node").asText());
        assertEquals(1, a.requests.size());
        CaptureRequest sent = a.requests.getFirst();
        assertEquals(List.of("shop", "checkout-7d9f8b6c5-x2x9q", "app"), List.of(sent.namespace(), sent.pod(), sent.container()));
        assertEquals("JvmCpuHigh", sent.alert().name());
        assertEquals(0, b.requests.size());
    }

    @Test
    void grafanaUnifiedTargetsGoToTheirNodesAndStaticModeCannotPlaceAPodWithoutNode() throws Exception {
        HttpResponse<String> res = router.post("/hooks", Payloads.read("grafana-unified-11-pods.json"), "Authorization", BASIC);
        assertEquals(202, res.statusCode(), res.body());
        JsonNode targets = json(res).get("targets");
        assertEquals("grafana-unified", json(res).get("format").asText());
        assertEquals("accepted", targets.get(0).get("outcome").asText());
        assertEquals("invalid", targets.get(1).get("outcome").asText());
        assertTrue(targets.get(1).get("detail").asText().contains("static --agents"), targets.toString());
        assertEquals("B=44.23943737541908, C=1", a.requests.getFirst().alert().value());
    }

    @Test
    void grafanaLegacyGoesToTwoNodesInParallelAndDuplicatesCollapse() throws Exception {
        HttpResponse<String> res = router.post("/hooks", Payloads.read("grafana-legacy-pods.json"), "Authorization", BASIC);
        assertEquals(202, res.statusCode(), res.body());
        assertEquals(2, json(res).get("targets").size());
        assertEquals(1, a.requests.size());
        assertEquals(1, b.requests.size());
    }

    @Test
    void testNotificationsAndResolvedAlertsAreNoTargetsNotErrors() throws Exception {
        for (String f : List.of("grafana-unified-8.4-test-notification.json", "grafana-legacy-test-notification.json",
                "alertmanager-0.25-resolved.json", "grafana-legacy-ok.json")) {
            HttpResponse<String> res = router.post("/hooks", Payloads.read(f), "Authorization", BASIC);
            assertEquals(202, res.statusCode(), f);
            assertEquals(0, json(res).get("targets").size(), f);
        }
        assertEquals(0, a.requests.size() + b.requests.size());
    }

    @Test
    void everyAgentOutcomeIsPassedThroughAndRetryableOnesMake503() throws Exception {
        a.answer = r -> switch (r.pod()) {
            case "p-busy" -> Admission.of(Outcome.BUSY);
            case "p-cool" -> Admission.of(Outcome.COOLDOWN, "last-1");
            case "p-prog" -> Admission.of(Outcome.IN_PROGRESS, "cur-1");
            case "p-gone" -> Admission.of(Outcome.NOT_FOUND);
            case "p-stop" -> Admission.of(Outcome.STOPPING);
            default -> Admission.of(Outcome.ACCEPTED, "id-1");
        };
        HttpResponse<String> res = hook(am(alert("ns", "p-cool", "c", "worker-1"), alert("ns", "p-prog", "c", "worker-1"),
                alert("ns", "p-gone", "c", "worker-1")));
        assertEquals(202, res.statusCode(), res.body());
        assertEquals("[cooldown, in-progress, not-found]", outcomes(res).toString());
        assertEquals("last-1", json(res).get("targets").get(0).get("captureId").asText());

        res = hook(am(alert("ns", "p-ok", "c", "worker-1"), alert("ns", "p-busy", "c", "worker-1")));
        assertEquals(503, res.statusCode(), "busy is retryable: Alertmanager must retry");
        assertEquals("[accepted, busy]", outcomes(res).toString());
        res = hook(am(alert("ns", "p-stop", "c", "worker-1")));
        assertEquals(503, res.statusCode());
        res = hook(am(alert("ns", "p-x", "c", "worker-9")));
        assertEquals(503, res.statusCode());
        assertEquals("no-agent", json(res).get("targets").get(0).get("outcome").asText());
    }

    @Test
    void hangingResettingGarbageAndDeadAgentsAreUnreachableAndTheRouterKeepsServing() throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> res = hook(am(alert("ns", "p1", "c", "node-hang"), alert("ns", "p2", "c", "node-reset"),
                alert("ns", "p3", "c", "node-garbage"), alert("ns", "p4", "c", "node-down"), alert("ns", "p6", "c", "node-flood"),
                alert("ns", "p5", "c", "worker-2")));
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;
        assertEquals(503, res.statusCode(), res.body());
        assertEquals("[agent-unreachable, agent-unreachable, agent-unreachable, agent-unreachable, agent-unreachable, accepted]",
                outcomes(res).toString());
        JsonNode targets = json(res).get("targets");
        assertTrue(targets.get(0).get("detail").asText().contains("in time"), targets.toString());
        for (int i = 0; i < 5; i++) {
            assertNotNull(targets.get(i).get("detail"), "every unreachable agent has a detail");
        }
        assertTrue(targets.get(4).get("detail").asText().contains("larger than"), targets.get(4).toString());
        assertTrue(seconds < 30, "the hanging agent is cut off by the read timeout, not waited for: " + seconds + "s");
        assertTrue(hang.connections.get() >= 1 && reset.connections.get() >= 1 && garbage.connections.get() >= 1);
        assertStillServing();
    }

    @Test
    void wrongTokenAtTheAgentIsUnreachableWithAClearDetail() throws Exception {
        try (TestRouter wrong = TestRouter.start(null, "--agents=worker-1=" + a.uri(), "--token=not-the-token")) {
            HttpResponse<String> res = wrong.post("/hooks", am(alert("ns", "p", "c", "worker-1")));
            assertEquals(503, res.statusCode());
            assertTrue(json(res).get("targets").get(0).get("detail").asText().contains("--token"), res.body());
        }
    }

    @Test
    void dryRunPlacesAndFindsTheAgentButCapturesNothing() throws Exception {
        HttpResponse<String> res = router.post("/hooks?dryRun=true", Payloads.read("grafana-legacy-pods.json"), "Authorization", BASIC);
        assertEquals(202, res.statusCode());
        assertEquals("[dry-run, dry-run]", outcomes(res).toString());
        assertEquals(0, a.requests.size() + b.requests.size());
        assertEquals(2, a.dryRuns.size() + b.dryRuns.size(), "each target's agent was asked");
        res = router.post("/hooks?dryRun=true", am(alert("ns", "p", "c", "worker-9")), "Authorization", BASIC);
        assertEquals("[no-agent]", outcomes(res).toString());
    }

    @Test
    void hostileBodiesGetTheirContractedAnswersAndNothingIsForwarded() throws Exception {
        assertEquals(400, hook("").statusCode());
        assertEquals(400, hook("{not json").statusCode());
        assertEquals(400, hook("{\"hello\":\"world\"}").statusCode());
        assertEquals(400, hook("[" .repeat(5000) + "]".repeat(5000)).statusCode());
        assertEquals(400, hook("{\"alerts\":" + "[".repeat(20_000) + "]".repeat(20_000) + "}").statusCode());
        HttpResponse<String> big = hook("{\"alerts\":[],\"pad\":\"" + "x".repeat(70 * 1024) + "\"}");
        assertEquals(413, big.statusCode());
        assertTrue(json(big).get("error").asText().contains("--max-body"));
        // the same without Content-Length (chunked): cut off while reading
        byte[] chunked = ("{\"alerts\":[],\"pad\":\"" + "x".repeat(70 * 1024) + "\"}").getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> streamed = router.http.send(java.net.http.HttpRequest.newBuilder(router.uri("/hooks"))
                .header("Authorization", BASIC).POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(chunked))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(413, streamed.statusCode());
        assertEquals(0, a.requests.size() + b.requests.size());
        assertStillServing();
    }

    @Test
    void pathAndShellCharactersInEveryLabelAreInvalidTargets() throws Exception {
        List<String> hostile = List.of("../../etc/passwd", "$(reboot)", "a;rm -rf /", "`id`", "a b", "a/b", "A", "x|y",
                "%2e%2e", "ns\nnext", "é");
        List<String> alerts = new ArrayList<>();
        for (String h : hostile) {
            String q = Json.MAPPER.writeValueAsString(h);
            alerts.add("{\"status\":\"firing\",\"labels\":{\"namespace\":" + q + ",\"pod\":\"p\",\"container\":\"c\",\"node\":\"worker-1\"}}");
            alerts.add("{\"status\":\"firing\",\"labels\":{\"namespace\":\"ns\",\"pod\":" + q + ",\"container\":\"c\",\"node\":\"worker-1\"}}");
            alerts.add("{\"status\":\"firing\",\"labels\":{\"namespace\":\"ns\",\"pod\":\"p\",\"container\":" + q + ",\"node\":\"worker-1\"}}");
            alerts.add("{\"status\":\"firing\",\"labels\":{\"namespace\":\"ns\",\"pod\":\"p\",\"container\":\"c\",\"node\":" + q + "}}");
        }
        try (TestRouter wide = TestRouter.start(null, "--agents=worker-1=" + a.uri(), "--token=" + TOKEN)) {
            HttpResponse<String> res = wide.post("/hooks", am(alerts.toArray(String[]::new)));
            assertEquals(202, res.statusCode(), res.body());
            JsonNode targets = json(res).get("targets");
            assertEquals(hostile.size() * 4, targets.size());
            for (JsonNode t : targets) {
                assertEquals("invalid", t.get("outcome").asText(), t.toString());
                assertTrue(t.get("detail").asText().matches("(namespace|pod|container|node) is not a DNS-1123 .*"), t.toString());
            }
        }
        assertEquals(0, a.requests.size(), "no hostile name ever reaches an agent");
        assertStillServing();
    }

    @Test
    void senderCredentials() throws Exception {
        String body = am(alert("ns", "p", "c", "worker-1"));
        assertEquals(401, router.post("/hooks", body).statusCode());
        assertEquals(401, router.post("/hooks", body, "Authorization", "Bearer nope").statusCode());
        assertEquals(401, router.post("/hooks", body, "Authorization", "Basic " + Base64.getEncoder()
                .encodeToString("am:wrong".getBytes(StandardCharsets.UTF_8))).statusCode());
        assertEquals(401, router.post("/hooks", body, "X-Grafana-Alerting-Signature", "00ff").statusCode());
        assertEquals(0, a.requests.size(), "nothing is captured for a refused sender");
        assertEquals(202, router.post("/hooks", body, "Authorization", "Bearer bt").statusCode());
        assertEquals(202, router.post("/hooks", body, "X-Grafana-Alerting-Signature",
                SenderAuth.grafanaSignature("hk", null, body.getBytes(StandardCharsets.UTF_8))).statusCode());
        String ts = Long.toString(System.currentTimeMillis() / 1000);
        assertEquals(202, router.post("/hooks", body, "X-Grafana-Alerting-Signature",
                SenderAuth.grafanaSignature("hk", ts, body.getBytes(StandardCharsets.UTF_8)),
                "X-Grafana-Alerting-Signature-Timestamp", ts).statusCode());
        assertEquals(401, router.get("/captures").statusCode());
    }

    @Test
    void tooManyTargetsIs400AndCapturesNothing() throws Exception {
        List<String> alerts = new ArrayList<>();
        for (int i = 0; i < 21; i++) {
            alerts.add(alert("ns", "p-" + i, "c", "worker-1"));
        }
        HttpResponse<String> res = hook(am(alerts.toArray(String[]::new)));
        assertEquals(400, res.statusCode());
        assertTrue(json(res).get("error").asText().contains("--max-targets=20"));
        assertEquals(0, a.requests.size());
    }

    @Test
    void forwardingIsParallelButBoundedByConcurrency() throws Exception {
        a.delayMillis = 300;
        List<String> alerts = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            alerts.add(alert("ns", "p-" + i, "c", "worker-1"));
        }
        a.peakInFlight.set(0);
        try (TestRouter bounded = TestRouter.start(null, "--agents=worker-1=" + a.uri(), "--token=" + TOKEN, "--concurrency=3")) {
            HttpResponse<String> res = bounded.post("/hooks", am(alerts.toArray(String[]::new)));
            assertEquals(202, res.statusCode());
        }
        assertEquals(3, a.peakInFlight.get(), "at most --concurrency calls at once, and more than one");
    }

    @Test
    void capturesOfEveryAgentNewestFirstAndOneDump() throws Exception {
        a.captures.add(new CaptureInfo("a1", null, "shop", "p1", "app", "2026-01-01T10:00:00Z", "2026-01-01T10:00:02Z", "ok", "jcmd", 0, 100L));
        a.captures.add(new CaptureInfo("a2", "worker-1", "shop", "p1", "app", "2026-01-01T12:00:00Z", null, null, null, null, null));
        b.captures.add(new CaptureInfo("b1", "worker-2", "shop", "p2", "app", "2026-01-01T11:00:00Z", "2026-01-01T11:00:02Z", "ok", "jcmd", 0, 90L));
        b.dumps.put("b1:x~y", "# jdd-capture: 1\n#1 cpu=99.7% \"hot-spinner\"\n");
        HttpResponse<String> res = router.get("/captures?namespace=shop&limit=10", "Authorization", BASIC);
        assertEquals(200, res.statusCode(), res.body());
        JsonNode list = json(res).get("captures");
        assertEquals(List.of("a2", "b1", "a1"), List.of(list.get(0).get("captureId").asText(),
                list.get(1).get("captureId").asText(), list.get(2).get("captureId").asText()));
        assertEquals("worker-1", list.get(2).get("node").asText(), "the node is filled in from the agent that listed it");
        assertTrue(a.lastListQuery.contains("namespace=shop"));
        JsonNode errors = json(res).get("errors");
        assertEquals(5, errors.size(), "the five broken agents are reported, the two good ones listed: " + errors);

        HttpResponse<String> dump = router.get("/captures/worker-2/b1:x~y", "Authorization", BASIC);
        assertEquals(200, dump.statusCode(), dump.body());
        assertTrue(dump.body().contains("hot-spinner"));
        assertTrue(dump.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        assertEquals("/v1/captures/b1%3Ax%7Ey", b.lastDumpPath, "the id reaches only that node's agent, URL-encoded");
        HttpResponse<String> none = router.get("/captures/worker-1/nope", "Authorization", BASIC);
        assertEquals(404, none.statusCode(), none.body());
        b.lastDumpPath = null;
        assertEquals(404, router.get("/captures/worker-2/..%2F..%2Fetc", "Authorization", BASIC).statusCode());
        assertEquals(null, b.lastDumpPath, "an id with a slash does not even reach the agent");
        assertEquals(404, router.get("/captures/worker-9/x", "Authorization", BASIC).statusCode());
        assertEquals(400, router.get("/captures/Worker_1/x", "Authorization", BASIC).statusCode());
        assertEquals(400, router.get("/captures?pod=..%2F..", "Authorization", BASIC).statusCode());

        // a browser gets the page that replaced the old stacks folder: links to each dump, every field escaped
        a.captures.add(new CaptureInfo("<script>x</script>", "worker-1", "shop", "p3", "app", "2026-01-01T09:00:00Z",
                "2026-01-01T09:00:01Z", "ok", "jcmd", 0, 1L));
        HttpResponse<String> page = router.get("/captures", "Authorization", BASIC, "Accept", "text/html,application/xhtml+xml");
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        assertTrue(page.body().contains("<a href=\"/captures/worker-2/b1\">b1</a>"), page.body());
        assertTrue(page.body().contains("&lt;script&gt;x&lt;/script&gt;") && !page.body().contains("<script>"), page.body());
    }

    @Test
    void healthAndMetrics() throws Exception {
        hook(am(alert("ns", "p", "c", "worker-1")));
        hook("{broken");
        assertEquals(200, router.get("/health").statusCode());
        String metrics = router.get("/metrics").body();
        assertTrue(metrics.contains("jdd_router_webhooks_total{format=\"alertmanager\",status=\"202\"}"), metrics);
        assertTrue(metrics.contains("jdd_router_webhooks_total{format=\"unknown\",status=\"400\"}"), metrics);
        assertTrue(metrics.matches("(?s).*jdd_router_targets_total\\{outcome=\"accepted\"} [1-9].*"), metrics);
        assertTrue(metrics.matches("(?s).*jdd_router_forward_seconds_count [1-9].*"), metrics);
    }

    private static List<String> outcomes(HttpResponse<String> res) throws IOException {
        List<String> out = new ArrayList<>();
        for (JsonNode t : json(res).get("targets")) {
            out.add(t.get("outcome").asText());
        }
        return out;
    }
}
