package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jdd.agent.docker.DockerFixture;
import dev.jdd.agent.docker.DockerRuntime;
import dev.jdd.agent.docker.TestImages;
import dev.jdd.agent.docker.TestPods;
import dev.jdd.common.Json;
import dev.jdd.testing.RequiresDocker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --engine=auto} through the whole agent on the real Docker engine: the script where it works (JDK image
 * with a shell), the node engine where it cannot (a JRE with a shell but no dump tool: craw.sh exits 4; a JRE
 * with no shell at all, its JVM as uid 1000: nothing is copied in). The hot thread is #1 in every dump file.
 */
@RequiresDocker
class EngineAutoDockerIT {
    private static final URI HOST = DockerFixture.HOST;
    private static final String TOKEN = "auto-engine-token";
    @RegisterExtension
    static final DockerFixture fixture = new DockerFixture();

    @TempDir
    Path dumps;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @Test
    void autoPicksTheScriptWhereItWorksAndTheNodeEngineWhereItCannot() throws Exception {
        TestPods.Pod jdk = fixture.pods().startReady(TestPods.App.spinner("with-jdk"));
        TestPods.Pod jreWithShell = fixture.pods().startReady(TestPods.App.spinner("jre-shell")
                .withImage(TestImages.jvm(fixture.docker(), HOST, TestImages.Spec.jreWithShell())));
        TestPods.Pod distroless = fixture.pods().startReady(TestPods.App.spinner("distroless")
                .withImage(TestImages.jvm(fixture.docker(), HOST, TestImages.Spec.jreOnly())).withUser("1000:1000"));

        AgentConfig config = AgentConfig.forTest(dumps, TOKEN).withEngine("auto")
                .withCapture(20, Duration.ofSeconds(1), Duration.ofSeconds(40));
        try (Agent agent = Agent.start(config, new DockerRuntime(HOST))) {
            String jdkId = capture(agent, jdk);
            String jreId = capture(agent, jreWithShell);
            String distrolessId = capture(agent, distroless);

            String script = awaitDump(jdkId);
            assertTrue(script.contains("# engine: jcmd\n"), script);
            assertHotSpinnerFirst(script);

            String fallback = awaitDump(jreId);
            assertTrue(fallback.contains("# engine: node\n"), fallback);
            assertTrue(fallback.contains("craw.sh found no tool that can dump threads in the container (exit 4); the node"
                    + " engine captured instead"), fallback);
            assertHotSpinnerFirst(fallback);

            String shellLess = awaitDump(distrolessId);
            assertTrue(shellLess.contains("# engine: node\n"), shellLess);
            assertTrue(shellLess.contains("the container has no shell"), shellLess);
            assertTrue(shellLess.contains("# jdd-capture: 1\n# pid: 1\n# engine: node\n"), shellLess);
            assertHotSpinnerFirst(shellLess);
        }
        // Nothing of jdd's is left in the shell-less container (no craw.sh folder, no trigger file).
        long pid = fixture.docker().inspectContainerCmd(distroless.appId()).exec().getState().getPidLong();
        try (Stream<Path> tmp = Files.list(Path.of("/proc/" + pid + "/root/tmp"))) {
            List<String> names = tmp.map(p -> p.getFileName().toString()).toList();
            assertTrue(names.stream().noneMatch(n -> n.startsWith("jdd") || n.startsWith(".attach_pid")), names.toString());
        }
    }

    private String capture(Agent agent, TestPods.Pod pod) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.port() + "/v1/captures"))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"namespace\":\"" + pod.namespace() + "\",\"pod\":\"" + pod.pod()
                        + "\",\"container\":\"" + pod.container() + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, r.statusCode(), r.body());
        JsonNode accepted = Json.MAPPER.readTree(r.body());
        return accepted.get("captureId").asText();
    }

    private String awaitDump(String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            Optional<Path> file;
            try (Stream<Path> walk = Files.walk(dumps)) {
                file = walk.filter(p -> p.getFileName().toString().endsWith("_" + id + ".log")).findFirst();
            }
            if (file.isPresent()) {
                return Files.readString(file.get());
            }
            assertTrue(System.nanoTime() < deadline, "no dump file for capture " + id);
            Thread.sleep(50);
        }
    }

    private static void assertHotSpinnerFirst(String dump) {
        assertTrue(dump.matches("(?s).*\n#1 cpu=\\d+\\.\\d% tid=\\d+ \"hot-spinner\" RUNNABLE\n.*"), dump);
    }
}
