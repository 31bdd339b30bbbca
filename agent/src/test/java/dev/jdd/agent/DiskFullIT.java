package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jdd.agent.docker.AgentApiCaller;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dump folder on a real, small tmpfs (mounted for the test; needs root): a dump that does not fit is listed as
 * {@code error} with the reason, counted so, served as its header, sets no cooldown and leaves nothing on disk.
 */
class DiskFullIT {
    private static final String TOKEN = "disk-full-token";
    @TempDir
    Path scratch;
    Path dumps;
    final FakeRuntime runtime = new FakeRuntime();
    Agent agent;
    AgentApiCaller client;

    @BeforeEach
    void mountSmallTmpfs() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting a tmpfs needs root");
        dumps = scratch.resolve("dumps");
        Files.createDirectories(dumps);
        run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dumps.toString());
        agent = Agent.start(AgentConfig.forTest(dumps, TOKEN), runtime, "echo craw".getBytes(StandardCharsets.UTF_8));
        client = new AgentApiCaller(path -> URI.create("http://127.0.0.1:" + agent.port() + path), TOKEN);
    }

    @AfterEach
    void unmount() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (dumps != null) {
            run("umount", dumps.toString());
        }
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
    }

    private List<Path> everything() throws IOException {
        try (Stream<Path> walk = Files.walk(dumps)) {
            return walk.filter(p -> !p.equals(dumps)).toList();
        }
    }

    @Test
    void aDumpThatDoesNotFitIsAnErrorWithItsReasonAndNoCooldown() throws Exception {
        runtime.stdout = "# jdd-capture: 1\n# engine: jcmd\n#\n" + "x".repeat(200 * 1024) + "\n";
        AgentApiCaller.Answer first = client.capture("shop", "web", "api");
        assertEquals("accepted", first.outcome(), first.toString());
        Map<String, Object> listed = client.awaitFinished("shop", "web", first.captureId(), Duration.ofSeconds(30));
        assertEquals("error", listed.get("outcome"), listed.toString());
        String error = (String) listed.get("error");
        assertTrue(error.startsWith("the dump could not be written: ") && error.contains("No space left on device"), error);
        assertNull(listed.get("bytes"), "no file, no size");
        assertEquals(List.of(), everything(), "no file, no temporary file, no empty folder");

        String text = client.dump(first.captureId());
        assertEquals("error", AgentApiCaller.header(text).get("outcome"), text);
        assertEquals(error, AgentApiCaller.header(text).get("error"), text);
        String raw = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + agent.port() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(raw.contains("jdd_agent_captures_total{outcome=\"error\"} 1\n"), raw);
        assertTrue(raw.contains("jdd_agent_captures_total{outcome=\"ok\"} 0\n"), raw);

        // No cooldown under the lost id: once the dump fits, the same container is captured again.
        runtime.stdout = "# jdd-capture: 1\n# engine: jcmd\n#\n#1 cpu=99.0% tid=7 \"hot\" RUNNABLE\n";
        AgentApiCaller.Answer second = client.capture("shop", "web", "api");
        assertEquals("accepted", second.outcome(), second.toString());
        Map<String, Object> ok = client.awaitFinished("shop", "web", second.captureId(), Duration.ofSeconds(30));
        assertEquals("ok", ok.get("outcome"), ok.toString());
        assertEquals(1, everything().stream().filter(Files::isRegularFile).count(), everything().toString());
        assertEquals("cooldown", client.capture("shop", "web", "api").outcome(), "the written capture sets the cooldown");
    }
}
