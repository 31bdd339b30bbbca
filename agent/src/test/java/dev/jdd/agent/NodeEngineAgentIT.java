package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jdd.agent.local.LocalRuntime;
import dev.jdd.common.Json;
import dev.jdd.testing.HotJvm;
import dev.jdd.testing.Jdks;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole agent (HTTP, admission, runner, dump store) with {@code --engine=node} and the local runtime,
 * capturing a real JVM that runs as another, non-root user: the dump file says the node engine ran and has the
 * hot thread first.
 */
class NodeEngineAgentIT {
    private static final String TOKEN = "node-engine-token";
    @TempDir
    Path dumps;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @Test
    void theNodeEngineCapturesAJvmOfAnotherUserThroughTheAgent() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to run a JVM as another user");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv (util-linux)");
        AgentConfig config = AgentConfig.forTest(dumps, TOKEN).withEngine("node")
                .withCapture(10, Duration.ofSeconds(1), Duration.ofSeconds(20));
        try (HotJvm jvm = HotJvm.start(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"),
                Jdks.current(), 3, List.of());
             Agent agent = Agent.start(config, new LocalRuntime())) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + agent.port() + "/v1/captures"))
                    .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"namespace\":\"host\",\"pod\":\"spinner\",\"container\":\"pid-"
                            + jvm.pid() + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(202, r.statusCode(), r.body());
            JsonNode accepted = Json.MAPPER.readTree(r.body());
            String id = accepted.get("captureId").asText();

            Path file = awaitFile();
            String dump = Files.readString(file);
            assertTrue(dump.contains("# capture-id: " + id + "\n"), dump);
            assertTrue(dump.contains("# engine: node\n"), dump);
            assertTrue(dump.contains("# outcome: ok\n"), dump);
            assertTrue(dump.contains("# jdd-capture: 1\n# pid: " + jvm.pid() + "\n# engine: node\n# interval-ms: 1000\n"), dump);
            assertTrue(dump.matches("(?s).*\n#1 cpu=\\d+\\.\\d% tid=\\d+ \"hot-spinner\" RUNNABLE\n\"hot-spinner\" #.*"), dump);
        }
    }

    private Path awaitFile() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try (Stream<Path> walk = Files.walk(dumps)) {
                List<Path> logs = walk.filter(p -> p.toString().endsWith(".log")).toList();
                if (!logs.isEmpty()) {
                    return logs.get(0);
                }
            }
            assertTrue(System.nanoTime() < deadline, "no dump file appeared");
            Thread.sleep(20);
        }
    }
}
