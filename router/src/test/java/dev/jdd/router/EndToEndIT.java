package dev.jdd.router;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jdd.common.Json;
import dev.jdd.testing.HotJvm;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * End to end on one machine: real agents (local runtime) on 127.0.0.2 and 127.0.0.3 as two nodes, a real hot JVM
 * ({@link HotJvm}: a thread named hot-spinner), the router in front. Through fabric8's CRUD mock server (agent pods
 * with those pod IPs, the app pod placed on a node) and through a real Alertmanager with static agents.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class EndToEndIT {
    private static final String TOKEN = "e2e-token";
    static KubernetesClient client;

    @Test
    void twoNodesThroughKubernetesDiscoveryCaptureTheHotJvmAndTheRouterShowsTheDumps() throws Exception {
        try (HotJvm jvm = HotJvm.start();
             RealAgents agents = RealAgents.start(TOKEN, "node-a", "node-b")) {
            client.resource(KubernetesDiscoveryIT.agentPod("agent-a", "jdd", "node-a", RealAgents.address(0), true)).create();
            client.resource(KubernetesDiscoveryIT.agentPod("agent-b", "jdd", "node-b", RealAgents.address(1), true)).create();
            // The local runtime names a JVM by its main class ("spinner") or by pid; other people's tests on this
            // machine run Spinners too, so the container is named by our JVM's pid.
            String container = "pid-" + jvm.pid();
            client.resource(KubernetesDiscoveryIT.appPod("demo", "checkout-1", "node-b", container)).create();
            try (TestRouter router = TestRouter.start(client, "--token=" + TOKEN, "--agent-namespace=jdd",
                    "--agent-port=" + agents.port)) {
                for (int i = 0; i < 100 && !router.components.agents().ready(); i++) {
                    Thread.sleep(50);
                }
                String body = "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":["
                        + "{\"status\":\"firing\",\"labels\":{\"alertname\":\"JvmCpuHigh\",\"namespace\":\"demo\",\"pod\":\"checkout-1\"}},"
                        + "{\"status\":\"firing\",\"labels\":{\"alertname\":\"JvmCpuHigh\",\"namespace\":\"demo\",\"pod\":\"checkout-2\","
                        + "\"container\":\"" + container + "\",\"node\":\"node-a\"}}]}";
                HttpResponse<String> res = router.post("/hooks", body);
                assertEquals(202, res.statusCode(), res.body());
                JsonNode targets = Json.MAPPER.readTree(res.body()).get("targets");
                assertEquals("node-b", targets.get(0).get("node").asText(), "placed through the API");
                assertEquals(container, targets.get(0).get("container").asText(), "the pod's only container");
                for (JsonNode t : targets) {
                    assertEquals("accepted", t.get("outcome").asText(), res.body());
                }
                String idB = targets.get(0).get("captureId").asText();
                String idA = targets.get(1).get("captureId").asText();

                // both agents capture the real hot JVM; each dump lands in its own node's folder
                String dumpB = waitForDump(router, "node-b", idB);
                String dumpA = waitForDump(router, "node-a", idA);
                for (String dump : List.of(dumpA, dumpB)) {
                    assertTrue(dump.contains("# jdd-capture: 1"), dump);
                    assertTrue(firstRanked(dump).contains("\"hot-spinner\""), "the hot thread ranks first:\n" + dump);
                }
                assertTrue(dumpB.contains("node-b") && dumpA.contains("node-a"), "the header names the node");
                List<Path> filesB = agents.dumps(1);
                assertEquals(1, filesB.size(), "one file on node-b: " + filesB);
                assertTrue(filesB.getFirst().toString().contains("/demo/checkout-1/" + container + "_"), filesB.toString());
                assertTrue(Files.readString(filesB.getFirst()).contains("hot-spinner"));
                assertEquals(1, agents.dumps(0).size());

                JsonNode list = Json.MAPPER.readTree(router.get("/captures?namespace=demo").body()).get("captures");
                assertEquals(2, list.size(), list.toString());
                assertEquals(0, Json.MAPPER.readTree(router.get("/captures?namespace=demo").body()).get("errors").size());
                JsonNode onlyB = Json.MAPPER.readTree(router.get("/captures?pod=checkout-1").body()).get("captures");
                assertEquals(1, onlyB.size());
                assertEquals("node-b", onlyB.get(0).get("node").asText());
            }
        }
    }

    @Test
    void theRouterPassesTheAgentsProfileThrough() throws Exception {
        try (HotJvm jvm = HotJvm.start();
             RealAgents agents = RealAgents.startProfiling(TOKEN, "node-p");
             TestRouter router = TestRouter.start(null, "--agents=" + agents.agentsFlag("node-p"), "--token=" + TOKEN)) {
            String body = "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\",\"labels\":"
                    + "{\"alertname\":\"JvmCpuHigh\",\"namespace\":\"demo\",\"pod\":\"p\",\"container\":\"pid-" + jvm.pid()
                    + "\",\"node\":\"node-p\"}}]}";
            HttpResponse<String> res = router.post("/hooks", body);
            assertEquals(202, res.statusCode(), res.body());
            String id = Json.MAPPER.readTree(res.body()).get("targets").get(0).get("captureId").asText();
            String dump = waitForDump(router, "node-p", id);
            assertTrue(dump.contains("\n# profile: pid-" + jvm.pid() + "_"), dump);
            HttpResponse<String> profile = router.get("/captures/node-p/" + id + "/profile");
            assertEquals(200, profile.statusCode(), profile.body());
            assertTrue(profile.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
            assertEquals(Files.readString(Path.of(agents.dumps(0).getFirst() + ".collapsed")), profile.body());
            HttpResponse<String> none = router.get("/captures/node-p/0000000000000000/profile");
            assertEquals(404, none.statusCode());
            assertTrue(none.body().contains("no profile for capture"), none.body());
        }
    }

    @Test
    void alertPostedToARealAlertmanagerEndsAsADumpOnDisk() throws Exception {
        assumeTrue(Files.isExecutable(RealAlertmanager.BINARY),
                "prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)");
        try (HotJvm jvm = HotJvm.start();
             RealAgents agents = RealAgents.start(TOKEN, "worker-1");
             TestRouter router = TestRouter.start(null, "--agents=" + agents.agentsFlag("worker-1"), "--token=" + TOKEN,
                     "--webhook-user=alertmanager", "--webhook-password=pw");
             RealAlertmanager am = RealAlertmanager.start("""
                       - url: http://127.0.0.1:%d/hooks
                         http_config:
                           basic_auth:
                             username: alertmanager
                             password: pw
                     """.formatted(router.server.port()))) {
            am.fire(List.of("{\"alertname\":\"JvmCpuHigh\",\"namespace\":\"shop\",\"pod\":\"checkout-7d9f8b6c5-x2x9q\","
                    + "\"container\":\"pid-" + jvm.pid() + "\",\"node\":\"worker-1\",\"severity\":\"page\"}"));
            List<Path> files = List.of();
            for (int i = 0; i < 600 && files.isEmpty(); i++) {
                Thread.sleep(100);
                files = agents.dumps(0);
            }
            assertEquals(1, files.size(), "Alertmanager log:\n" + am.log());
            Path file = files.getFirst();
            assertTrue(file.toString().contains("/shop/checkout-7d9f8b6c5-x2x9q/pid-" + jvm.pid() + "_"), file.toString());
            String dump = Files.readString(file);
            assertTrue(dump.contains("JvmCpuHigh"), "the alert name is in the header:\n" + dump);
            assertTrue(firstRanked(dump).contains("\"hot-spinner\""), dump);
        }
    }

    /** Polls the router until the capture is finished, then fetches its dump through the router. */
    static String waitForDump(TestRouter router, String node, String id) throws Exception {
        for (int i = 0; i < 600; i++) {
            JsonNode list = Json.MAPPER.readTree(router.get("/captures").body()).get("captures");
            for (JsonNode c : list) {
                if (c.get("captureId").asText().equals(id) && c.hasNonNull("end")) {
                    assertEquals("ok", c.get("outcome").asText(), c.toString());
                    HttpResponse<String> dump = router.get("/captures/" + node + "/" + id);
                    assertEquals(200, dump.statusCode(), dump.body());
                    return dump.body();
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("capture " + id + " on " + node + " did not finish");
    }

    private static String firstRanked(String dump) {
        return dump.lines().filter(l -> l.startsWith("#1 ")).findFirst().orElse("(no #1 line)");
    }
}
