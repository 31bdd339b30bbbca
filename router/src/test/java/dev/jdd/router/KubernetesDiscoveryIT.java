package dev.jdd.router;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jdd.common.Json;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Discovery and placement through fabric8's mock API server in CRUD mode: agent pods (with pod IPs 127.0.0.2/.3 where
 * fake agents really listen, on one port) are found by label and indexed by node in the router; app pods are placed.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class KubernetesDiscoveryIT {
    private static final String TOKEN = "t0k";
    static KubernetesClient client;

    private static FakeAgent a;
    private static FakeAgent b;
    private TestRouter router;

    @BeforeAll
    static void agents() throws IOException {
        a = FakeAgent.start("127.0.0.2", 0, TOKEN);
        b = FakeAgent.start("127.0.0.3", a.port(), TOKEN);
    }

    @AfterAll
    static void stopAgents() {
        a.close();
        b.close();
    }

    @BeforeEach
    void cluster() {
        client.pods().inAnyNamespace().delete();
        a.requests.clear();
        b.requests.clear();
        client.resource(agentPod("agent-a", "jdd", "node-a", "127.0.0.2", true)).create();
        client.resource(agentPod("agent-b", "jdd", "node-b", "127.0.0.3", true)).create();
        client.resource(appPod("shop", "checkout-1", "node-a", "app", "envoy")).create();
        client.resource(appPod("shop", "checkout-2", "node-b", "app")).create();
    }

    @org.junit.jupiter.api.AfterEach
    void stopRouter() {
        if (router != null) {
            router.close();
        }
    }

    private TestRouter router() throws InterruptedException {
        router = TestRouter.start(client, "--token=" + TOKEN, "--agent-namespace=jdd", "--agent-port=" + a.port());
        for (int i = 0; i < 100 && !router.components.agents().ready(); i++) {
            Thread.sleep(50);
        }
        return router;
    }

    static Pod agentPod(String name, String namespace, String node, String ip, boolean ready) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace(namespace)
                .addToLabels("app.kubernetes.io/name", "jdd-agent").endMetadata()
                .withNewSpec().withNodeName(node).addNewContainer().withName("agent").endContainer().endSpec()
                .withNewStatus().withPodIP(ip).addNewCondition().withType("Ready").withStatus(ready ? "True" : "False")
                .endCondition().endStatus().build();
    }

    static Pod appPod(String namespace, String name, String node, String... containers) {
        PodBuilder p = new PodBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata();
        var spec = p.withNewSpec().withNodeName(node);
        for (String c : containers) {
            spec.addNewContainer().withName(c).endContainer();
        }
        return spec.endSpec().build();
    }

    private static String alert(String namespace, String pod, String container, String node) {
        return "{\"status\":\"firing\",\"labels\":{\"namespace\":\"" + namespace + "\",\"pod\":\"" + pod + "\""
                + (container == null ? "" : ",\"container\":\"" + container + "\"")
                + (node == null ? "" : ",\"node\":\"" + node + "\"") + "}}";
    }

    private static String am(String... alerts) {
        return "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[" + String.join(",", alerts) + "]}";
    }

    private static List<String> lines(HttpResponse<String> res) throws IOException {
        List<String> out = new ArrayList<>();
        for (JsonNode t : Json.MAPPER.readTree(res.body()).get("targets")) {
            out.add(t.get("pod").asText() + "/" + t.get("container").asText() + "@" + t.get("node").asText() + "="
                    + t.get("outcome").asText());
        }
        return out;
    }

    @Test
    void podsWithoutNodeOrContainerArePlacedThroughTheApiAndSentToThatNodesAgent() throws Exception {
        HttpResponse<String> res = router().post("/hooks", am(alert("shop", "checkout-1", null, null),
                alert("shop", "checkout-2", "app", null), alert("shop", "checkout-1", "app", "node-a")));
        assertEquals(202, res.statusCode(), res.body());
        assertEquals(List.of("checkout-1/app@node-a=accepted", "checkout-1/envoy@node-a=accepted",
                "checkout-2/app@node-b=accepted"), lines(res), "each container of the pod; duplicates collapse after placement");
        assertEquals(2, a.requests.size());
        assertEquals(1, b.requests.size());
    }

    @Test
    void realGrafanaPayloadWithAPodWithoutNode() throws Exception {
        client.resource(appPod("orders", "orders-5c9d7-abcde", "node-a", "api")).create();
        client.resource(appPod("orders", "orders-5c9d7-fghij", "node-b", "api")).create();
        HttpResponse<String> res = router().post("/hooks", Payloads.read("grafana-unified-11-pods.json"));
        assertEquals(List.of("orders-5c9d7-abcde/api@worker-1=no-agent", "orders-5c9d7-fghij/api@node-b=accepted"),
                lines(res), "the alert's own node label wins; worker-1 has no agent");
        assertEquals(503, res.statusCode());
    }

    @Test
    void unknownAndUnscheduledPodsAreNotFound() throws Exception {
        client.resource(appPod("shop", "pending-1", null, "app")).create();
        HttpResponse<String> res = router().post("/hooks", am(alert("shop", "gone-1", "app", null),
                alert("shop", "pending-1", null, null)));
        assertEquals(202, res.statusCode(), res.body());
        JsonNode targets = Json.MAPPER.readTree(res.body()).get("targets");
        assertEquals("not-found", targets.get(0).get("outcome").asText());
        assertEquals("the pod is not scheduled on a node", targets.get(1).get("detail").asText());
    }

    @Test
    void onlyReadyAgentPodsWithAnIpCountAndTheWatchSeesChanges() throws Exception {
        client.resource(agentPod("agent-c", "jdd", "node-c", "127.0.0.3", false)).create();
        client.resource(agentPod("agent-d", "jdd", "node-d", "", true)).create();
        Pod other = agentPod("agent-e", "default", "node-e", "127.0.0.3", true);
        client.resource(other).create();
        Pod unlabelled = agentPod("agent-f", "jdd", "node-f", "127.0.0.3", true);
        unlabelled.getMetadata().getLabels().clear();
        client.resource(unlabelled).create();
        client.resource(appPod("shop", "x-1", "node-c", "app")).create();
        TestRouter r = router();
        for (String node : List.of("node-c", "node-d", "node-e", "node-f")) {
            HttpResponse<String> res = r.post("/hooks", am(alert("shop", "x-1", "app", node)));
            assertEquals(503, res.statusCode(), node);
            assertTrue(res.body().contains("no-agent"), node + ": " + res.body());
            assertTrue(res.body().contains("no ready agent pod on node " + node + " (namespace jdd with selector"), res.body());
        }
        // agent-c becomes ready: the watch brings it in without any list per webhook
        client.pods().inNamespace("jdd").withName("agent-c").editStatus(p -> agentPod("agent-c", "jdd", "node-c", "127.0.0.3", true));
        HttpResponse<String> res = null;
        for (int i = 0; i < 100; i++) {
            res = r.post("/hooks", am(alert("shop", "x-1", "app", "node-c")));
            if (res.statusCode() == 202) {
                break;
            }
            Thread.sleep(50);
        }
        assertEquals(202, res.statusCode(), res.body());
        assertEquals(1, b.requests.size());
        // and when the agent pod goes away, so does the agent
        client.pods().inNamespace("jdd").withName("agent-c").delete();
        for (int i = 0; i < 100 && r.post("/hooks?dryRun=true", am(alert("shop", "x-1", "app", "node-c"))).statusCode() != 503; i++) {
            Thread.sleep(50);
        }
        assertTrue(r.post("/hooks?dryRun=true", am(alert("shop", "x-1", "app", "node-c"))).body().contains("no-agent"));
    }

    @Test
    void capturesAreListedFromEveryDiscoveredAgent() throws Exception {
        a.captures.clear();
        b.captures.clear();
        a.captures.add(new dev.jdd.common.CaptureInfo("ca", null, "shop", "checkout-1", "app", "2026-01-01T10:00:00Z", null, null, null, null, null));
        b.captures.add(new dev.jdd.common.CaptureInfo("cb", null, "shop", "checkout-2", "app", "2026-01-01T11:00:00Z", null, null, null, null, null));
        JsonNode list = Json.MAPPER.readTree(router().get("/captures").body()).get("captures");
        assertEquals(2, list.size());
        assertEquals("cb", list.get(0).get("captureId").asText());
        assertEquals("node-b", list.get(0).get("node").asText());
        assertEquals("node-a", list.get(1).get("node").asText());
    }

    @Test
    void healthIsNotReadyUntilTheAgentCacheHasSynced() throws Exception {
        try (KubernetesClient unreachable = new KubernetesClientBuilder().withConfig(new ConfigBuilder()
                .withMasterUrl("http://127.0.0.1:9").withRequestTimeout(500).withConnectionTimeout(500)
                .withRequestRetryBackoffLimit(0).build()).build();
             TestRouter r = TestRouter.start(unreachable, "--token=" + TOKEN)) {
            HttpResponse<String> health = r.get("/health");
            assertEquals(503, health.statusCode());
            assertTrue(health.body().contains("not synced"), health.body());
            HttpResponse<String> res = r.post("/hooks", am(alert("shop", "checkout-1", "app", "node-a")));
            assertEquals(503, res.statusCode(), "an unsynced cache knows no agent: retry later");
            res = r.post("/hooks", am(alert("shop", "checkout-1", null, null)));
            assertEquals(503, res.statusCode());
            assertTrue(res.body().contains("\"outcome\":\"error\""), "an API that cannot be asked is a retryable error: " + res.body());
        }
        assertEquals(200, router().get("/health").statusCode());
    }
}
