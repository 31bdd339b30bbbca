package dev.jdd.agent.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import dev.jdd.testing.RequiresDocker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The slot limit measured from outside the agent: 26 target containers, bursts of many more concurrent requests
 * than slots (a short cooldown lets later bursts start new captures), while a sampler counts the craw.sh runs
 * that really run in those containers, as the host sees them. The peak must be exactly the slot count.
 */
@RequiresDocker
class DockerSlotLimitIT {
    private static final int SLOTS = 10;
    private static final int CONTAINERS = 26;
    private static final String TOKEN = "slots-" + TestPods.RUN;

    @TempDir
    Path work;

    private static long logFiles(Path dumps) throws java.io.IOException {
        if (!Files.exists(dumps)) {
            return 0;
        }
        try (var files = Files.walk(dumps)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".log")).count();
        }
    }

    @Test
    void neverMoreScriptsRunThanSlotsAndTheSlotsFillUp() throws Exception {
        try (DockerClient docker = DockerRuntime.client(DockerFixture.HOST, 8, Duration.ofSeconds(120));
             TestPods pods = new TestPods(docker, DockerFixture.HOST)) {
            List<TestPods.Pod> targets = new ArrayList<>();
            for (int i = 0; i < CONTAINERS; i++) {
                // Idle JVMs: 26 hot threads would only starve the machine; the limit does not depend on heat.
                targets.add(pods.start(TestPods.App.spinner("slots-" + i).withCommand(TestPods.spinnerCommand(2, 0))));
            }
            for (TestPods.Pod p : targets) {
                pods.awaitLog(p.appId(), "ready ", Duration.ofMinutes(3));
            }
            Path dumps = work.resolve("stacks");
            try (AgentProcess agent = AgentProcess.start(List.of("--token=" + TOKEN, "--engine=script", "--runtime=docker",
                    "--docker-host=" + DockerFixture.HOST, "--dump-dir=" + dumps, "--slots=" + SLOTS, "--queue=100",
                    "--cooldown=1s", "--interval=1s", "--threads=5", "--exec-timeout=120s"), work.resolve("agent.log"));
                 CrawSampler sampler = new CrawSampler(targets.stream().map(TestPods.Pod::appId).toList())) {
                AgentApiCaller api = new AgentApiCaller(agent::uri, TOKEN);
                Map<String, Integer> outcomes = new HashMap<>();
                List<String[]> accepted = new ArrayList<>();
                int requests = 0;
                for (int burst = 0; burst < 3; burst++) {
                    Storm.Result r = Storm.burst(CONTAINERS * 8, 64, i -> {
                        TestPods.Pod p = targets.get(i % CONTAINERS);
                        AgentApiCaller.Answer a = api.capture(p.namespace(), p.pod(), p.container());
                        return new String[] {a.outcome() == null ? "http-" + a.status() : a.outcome(), a.captureId()};
                    });
                    requests += CONTAINERS * 8;
                    assertEquals(List.of(), r.errors());
                    r.outcomes().forEach((k, v) -> outcomes.merge(k, v, Integer::sum));
                    for (String id : r.accepted()) {
                        accepted.add(new String[] {id});
                    }
                    Thread.sleep(2500);
                }
                assertTrue(sampler.awaitNone(300_000), "captures still running after 5 minutes");
                long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
                while (logFiles(dumps) < accepted.size() && System.nanoTime() < deadline) {
                    Thread.sleep(200);
                }
                int peak = sampler.peak();
                long samples = sampler.samples();
                System.err.printf("slot limit: %d requests, outcomes %s, peak %d running craw.sh (slots %d), %d samples%n",
                        requests, outcomes, peak, SLOTS, samples);

                assertEquals(requests, outcomes.values().stream().mapToInt(Integer::intValue).sum());
                assertEquals(SLOTS, peak, "peak of craw.sh runs seen from the host");
                assertTrue(samples > 100, "the sampler must have looked often: " + samples);
                assertTrue(accepted.size() > SLOTS, "more captures than slots must have been accepted: " + outcomes);
                for (String[] id : accepted) {
                    try (var files = Files.walk(dumps)) {
                        assertEquals(1, files.filter(f -> f.getFileName().toString().endsWith("_" + id[0] + ".log")).count(),
                                "every accepted capture ends in exactly one file: " + id[0]);
                    }
                }
            }
        }
    }
}
