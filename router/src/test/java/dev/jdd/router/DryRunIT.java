package dev.jdd.router;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jdd.common.Json;
import dev.jdd.testing.HotJvm;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ?dryRun=true} against real agents (local runtime) on loopback: it answers {@code dry-run} only where a real
 * call would be accepted, and otherwise the outcome a real call would get, with the cause in its detail.
 */
class DryRunIT {
    private static final String TOKEN = "dry-token";

    private static String alert(String container, String node) {
        return "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"Cpu\","
                + "\"namespace\":\"shop\",\"pod\":\"checkout-1\",\"container\":\"" + container + "\",\"node\":\"" + node + "\"}}]}";
    }

    private static JsonNode target(HttpResponse<String> res) throws Exception {
        return Json.MAPPER.readTree(res.body()).get("targets").get(0);
    }

    @Test
    void eachFailureHasItsOwnOutcomeAndDryRunOnlyWhenARealCallWouldBeAccepted() throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.9"))) {
            deadPort = s.getLocalPort();
        }
        try (HotJvm jvm = HotJvm.start();
             RealAgents agents = RealAgents.start(TOKEN, "node-live");
             TestRouter router = TestRouter.start(null, "--token=" + TOKEN,
                     "--agents=" + agents.agentsFlag("node-live") + ",node-dead=http://127.0.0.9:" + deadPort);
             TestRouter wrongToken = TestRouter.start(null, "--token=not-" + TOKEN, "--agents=" + agents.agentsFlag("node-live"))) {
            String container = "pid-" + jvm.pid();

            HttpResponse<String> ok = router.post("/hooks?dryRun=true", alert(container, "node-live"));
            assertEquals(202, ok.statusCode(), ok.body());
            assertEquals("dry-run", target(ok).get("outcome").asText(), ok.body());
            assertTrue(target(ok).get("detail").asText().contains("pid " + jvm.pid()), ok.body());

            HttpResponse<String> dead = router.post("/hooks?dryRun=true", alert(container, "node-dead"));
            assertEquals(503, dead.statusCode(), dead.body());
            assertEquals("agent-unreachable", target(dead).get("outcome").asText(), dead.body());
            assertTrue(target(dead).get("detail").asText().contains("127.0.0.9:" + deadPort), dead.body());

            HttpResponse<String> missing = router.post("/hooks?dryRun=true", alert("no-such-jvm", "node-live"));
            assertEquals(202, missing.statusCode(), missing.body());
            assertEquals("not-found", target(missing).get("outcome").asText(), missing.body());
            assertTrue(target(missing).get("detail").asText().startsWith("no JVM named no-such-jvm on this host"), missing.body());

            HttpResponse<String> refused = wrongToken.post("/hooks?dryRun=true", alert(container, "node-live"));
            assertEquals(503, refused.statusCode(), refused.body());
            assertEquals("agent-unreachable", target(refused).get("outcome").asText(), refused.body());
            assertTrue(target(refused).get("detail").asText().contains("refused the router's token"), refused.body());

            HttpResponse<String> unknown = router.post("/hooks?dryRun=true", alert(container, "node-typo"));
            assertEquals("no-agent", target(unknown).get("outcome").asText(), unknown.body());
            assertEquals("node node-typo is not in --agents (known: node-dead, node-live)", target(unknown).get("detail").asText());

            // the dry runs captured nothing, wrote nothing and started no cooldown: a real call is accepted
            assertEquals(0, agents.dumps(0).size());
            assertEquals("[]", Json.MAPPER.readTree(router.get("/captures").body()).get("captures").toString());
            HttpResponse<String> real = router.post("/hooks", alert(container, "node-live"));
            assertEquals("accepted", target(real).get("outcome").asText(), real.body());
        }
    }
}
