package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jdd.agent.local.LocalRuntime;
import dev.jdd.common.Json;
import dev.jdd.testing.HotJvm;
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

/** The real thing without a cluster: agent over HTTP, local runtime, the real craw.sh, a really hot JVM. */
class LocalCaptureIT {
    private static final String TOKEN = "local-it-token";
    @TempDir
    Path dumps;
    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void theHotThreadLandsFirstInTheFileAtTheContractedPath() throws Exception {
        AgentConfig config = AgentConfig.forTest(dumps, TOKEN).withCapture(10, Duration.ofMillis(1000), Duration.ofSeconds(60));
        try (HotJvm jvm = HotJvm.start(); Agent agent = Agent.start(config, new LocalRuntime())) {
            String base = "http://127.0.0.1:" + agent.port();
            String container = "pid-" + jvm.pid();
            HttpResponse<String> posted = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/captures"))
                    .header("Authorization", "Bearer " + TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"namespace\":\"host\",\"pod\":\"local\",\"container\":\""
                            + container + "\",\"alert\":{\"name\":\"HighCpu\",\"value\":\"99\"}}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(202, posted.statusCode(), posted.body());
            String id = Json.MAPPER.readTree(posted.body()).get("captureId").asText();

            JsonNode info = awaitFinished(base, id);
            assertEquals("ok", info.get("outcome").asText(), info.toString());
            assertEquals(0, info.get("exitCode").asInt());

            List<Path> files;
            try (Stream<Path> walk = Files.walk(dumps)) {
                files = walk.filter(Files::isRegularFile).toList();
            }
            assertEquals(1, files.size());
            String relative = dumps.relativize(files.get(0)).toString();
            assertTrue(relative.matches("\\d{4}-\\d{2}-\\d{2}/host/local/" + container + "_\\d{6}_" + id + "\\.log"), relative);
            assertTrue(relative.startsWith(info.get("start").asText().substring(0, 10) + "/"), "day folder is the UTC start day");

            String dump = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/captures/" + id))
                    .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertEquals(Files.readString(files.get(0)), dump);
            assertTrue(dump.startsWith("# capture-id: " + id + "\n# node: test-node\n# runtime: local\n# namespace: host\n# pod: local\n# container: "
                    + container + "\n# container-id: " + container + "\n# alert-name: HighCpu\n# alert-value: 99\n"), dump);
            assertTrue(dump.contains("# outcome: ok\n# exit-code: 0\n"), dump);
            assertTrue(dump.contains("# jdd-capture: 1\n"), dump);
            assertTrue(dump.contains("\n# pid: " + jvm.pid() + "\n"), dump);
            String first = dump.lines().filter(l -> l.startsWith("#1 ")).findFirst().orElse("no #1 line in:\n" + dump);
            assertTrue(first.matches("#1 cpu=\\d+(\\.\\d+)?% tid=\\d+ \"hot-spinner\".*"), first);
            assertTrue(dump.contains("Spinner.spin"), "the hot thread's stack is there");
        }
    }

    @Test
    void aTargetThatExitsMidSampleIsNotFoundWithoutCooldownAsOnDocker() throws Exception {
        AgentConfig config = AgentConfig.forTest(dumps, TOKEN).withCapture(10, Duration.ofMillis(3000), Duration.ofSeconds(60));
        HotJvm jvm = HotJvm.start();
        try (jvm; Agent agent = Agent.start(config, new LocalRuntime())) {
            String base = "http://127.0.0.1:" + agent.port();
            String body = "{\"namespace\":\"host\",\"pod\":\"local\",\"container\":\"pid-" + jvm.pid() + "\"}";
            HttpResponse<String> posted = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/captures"))
                    .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(202, posted.statusCode(), posted.body());
            String id = Json.MAPPER.readTree(posted.body()).get("captureId").asText();
            Thread.sleep(1000);
            jvm.close();
            JsonNode info = awaitFinished(base, id);
            assertEquals("not-found", info.get("outcome").asText(), info.toString());
            assertTrue(info.get("error").asText().startsWith("the target ended during the capture: "), info.toString());
            // No cooldown: a JVM that comes back under that name is captured at once (here: it is simply gone).
            HttpResponse<String> again = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/captures"))
                    .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(404, again.statusCode(), again.body());
        }
    }

    private JsonNode awaitFinished(String base, String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode captures = Json.MAPPER.readTree(http.send(HttpRequest.newBuilder(URI.create(base + "/v1/captures?limit=10"))
                    .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString()).body()).get("captures");
            for (JsonNode c : captures) {
                if (c.get("captureId").asText().equals(id) && c.hasNonNull("outcome")) {
                    return c;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("capture " + id + " did not finish");
    }
}
