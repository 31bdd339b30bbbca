package dev.jdd.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jdd.common.CaptureRequest;
import dev.jdd.common.Json;
import dev.jdd.testing.HotJvm;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A valid alert at the router's limits (64 labels of 1,024 characters, a name and a value far over what the dump
 * keeps, characters that JSON escapes six times longer) reaches a real agent as a body it accepts: the router
 * forwards only what the agent reads, cut where the agent cuts it.
 */
class ForwardingLimitsIT {
    private static final String TOKEN = "limits-token";

    @Test
    void anAlertAtTheLimitsIsAcceptedByTheAgentNotRefusedAsInvalid() throws Exception {
        try (HotJvm jvm = HotJvm.start();
             RealAgents agents = RealAgents.start(TOKEN, "worker-1");
             TestRouter router = TestRouter.start(null, "--agents=" + agents.agentsFlag("worker-1"), "--token=" + TOKEN)) {
            Map<String, String> labels = new LinkedHashMap<>();
            labels.put("alertname", "\u0001".repeat(4000) + "😀".repeat(1000));
            labels.put("namespace", "shop");
            labels.put("pod", "checkout-1");
            labels.put("container", "pid-" + jvm.pid());
            labels.put("node", "worker-1");
            for (int i = labels.size(); i < 64; i++) {
                labels.put("label-" + i, "\"".repeat(1024));
            }
            Map<String, Object> alert = Map.of("status", "firing", "labels", labels,
                    "annotations", Map.of("summary", "x".repeat(10_000)));
            byte[] body = Json.write(Map.of("version", "4", "status", "firing", "alerts", List.of(alert)));
            assertTrue(body.length > 128 * 1024, "well over the agent's 64 KiB body cap: " + body.length);
            HttpResponse<String> res = router.post("/hooks", body);
            assertEquals(202, res.statusCode(), res.body());
            JsonNode target = Json.MAPPER.readTree(res.body()).get("targets").get(0);
            assertEquals("accepted", target.get("outcome").asText(), res.body());

            List<Path> files = List.of();
            for (int i = 0; i < 300 && files.isEmpty(); i++) {
                Thread.sleep(100);
                files = agents.dumps(0);
            }
            assertEquals(1, files.size());
            String dump = Files.readString(files.getFirst());
            String name = dump.lines().filter(l -> l.startsWith("# alert-name: ")).findFirst().orElseThrow().substring(14);
            assertEquals(CaptureRequest.ALERT_TEXT_MAX, name.length(), "cut where the agent cuts it");
            assertFalse(dump.contains("label-5"), "labels are not forwarded");
        }
    }
}
