package dev.jdd.agent.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.agent.docker.AgentApiCaller;
import dev.jdd.agent.docker.AgentProcess;
import dev.jdd.agent.docker.CrawSampler;
import dev.jdd.agent.docker.Storm;
import dev.jdd.agent.docker.TestPods;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The slot limit on CRI, measured from outside the agent: 25 pods in containerd and 1,000 requests in bursts, while
 * {@link CrawSampler} counts the craw.sh runs really running in those containers as the host sees them. The peak
 * must be exactly the slot count, and every accepted capture must end in exactly one file.
 */
@RequiresContainerd
class CriSlotLimitIT {
    private static final int SLOTS = 10;
    private static final int PODS = 25;
    private static final int REQUESTS = 1000;
    private static final String TOKEN = "cri-slots-" + TestPods.RUN;

    @TempDir
    Path work;

    @Test
    void neverMoreScriptsRunThanSlotsAndEveryAcceptedCaptureEndsInOneFile() throws Exception {
        PrivateContainerd containerd = RequiresContainerd.Condition.containerd();
        List<PrivateContainerd.Pod> targets = new ArrayList<>();
        for (int i = 0; i < PODS; i++) {
            // Idle JVMs: 25 hot threads would only starve the machine; the limit does not depend on heat.
            targets.add(containerd.start(TestPods.App.spinner("cri-slots-" + i).withCommand(TestPods.spinnerCommand(2, 0))));
        }
        for (PrivateContainerd.Pod p : targets) {
            containerd.awaitLog(p, "ready ", Duration.ofMinutes(3));
        }
        Path dumps = work.resolve("stacks");
        try (AgentProcess agent = AgentProcess.start(List.of("--token=" + TOKEN, "--engine=script", "--runtime=cri",
                "--runtime-endpoint=" + containerd.endpoint(), "--dump-dir=" + dumps, "--slots=" + SLOTS, "--queue=100",
                "--cooldown=1s", "--interval=1s", "--threads=5", "--exec-timeout=120s"), work.resolve("agent.log"));
             CrawSampler sampler = new CrawSampler(targets.stream().map(PrivateContainerd.Pod::appId).toList())) {
            AgentApiCaller api = new AgentApiCaller(agent::uri, TOKEN);
            Map<String, Integer> outcomes = new HashMap<>();
            List<String> accepted = new ArrayList<>();
            for (int burst = 0; burst < 4; burst++) {
                Storm.Result r = Storm.burst(REQUESTS / 4, 64, i -> {
                    PrivateContainerd.Pod p = targets.get(i % PODS);
                    AgentApiCaller.Answer a = api.capture(p.namespace(), p.pod(), p.container());
                    return new String[] {a.outcome() == null ? "http-" + a.status() : a.outcome(), a.captureId()};
                });
                assertEquals(List.of(), r.errors());
                r.outcomes().forEach((k, v) -> outcomes.merge(k, v, Integer::sum));
                accepted.addAll(r.accepted());
                Thread.sleep(2500);
            }
            assertTrue(sampler.awaitNone(300_000), "captures still running after 5 minutes");
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (logFiles(dumps) < accepted.size() && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            System.err.printf("CRI slot limit: %d requests, outcomes %s, peak %d running craw.sh (slots %d), %d samples%n",
                    REQUESTS, outcomes, sampler.peak(), SLOTS, sampler.samples());

            assertEquals(REQUESTS, outcomes.values().stream().mapToInt(Integer::intValue).sum());
            assertEquals(SLOTS, sampler.peak(), "peak of craw.sh runs seen from the host");
            assertTrue(sampler.samples() > 100, "the sampler must have looked often: " + sampler.samples());
            assertTrue(accepted.size() > SLOTS, "more captures than slots must have been accepted: " + outcomes);
            assertEquals(accepted.size(), logFiles(dumps), "files: one per accepted capture");
            for (String id : accepted) {
                try (Stream<Path> files = Files.walk(dumps)) {
                    assertEquals(1, files.filter(f -> f.getFileName().toString().endsWith("_" + id + ".log")).count(),
                            "every accepted capture ends in exactly one file: " + id);
                }
            }
        } finally {
            containerd.removePods();
        }
    }

    private static long logFiles(Path dumps) throws IOException {
        if (!Files.exists(dumps)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dumps)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".log")).count();
        }
    }
}
