package dev.jdd.agent.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import dev.jdd.testing.RequiresDocker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine stalls mid-capture (a private dockerd SIGSTOPped, so it neither answers nor closes its socket): the
 * capture still ends within --exec-timeout + 5 s with an outcome that says so, its slot is free, and admission for
 * another pod answers 503 error within its short bound instead of waiting on the engine. The outcome does not
 * claim the script was ended. The copied folder, which the capture could not remove while the engine stalled, is
 * removed by the retry list once the engine answers again. The shared engine is never stopped.
 */
@RequiresDocker
class DockerStalledEngineIT {
    private static final String TOKEN = "stalled-" + TestPods.RUN;
    private static final Duration EXEC_TIMEOUT = Duration.ofSeconds(8);

    @TempDir
    Path work;

    @Test
    void aStalledEngineNeitherHoldsTheSlotNorAdmission() throws Exception {
        PrivateDockerd.Result started = PrivateDockerd.start();
        Assumptions.assumeTrue(started.dockerd() != null, () -> "no second Docker engine: " + started.problem());
        try (PrivateDockerd engine = started.dockerd();
             DockerClient docker = DockerRuntime.client(engine.host(), 4, Duration.ofSeconds(120));
             TestPods pods = new TestPods(docker, engine.host());
             AgentProcess agent = AgentProcess.start(List.of("--token=" + TOKEN, "--engine=script", "--runtime=docker",
                     "--docker-host=" + engine.host(), "--dump-dir=" + work.resolve("stacks"), "--interval=4s",
                     "--exec-timeout=" + EXEC_TIMEOUT.toSeconds() + "s", "--cooldown=0s"), work.resolve("agent.log"))) {
            AgentApiCaller api = new AgentApiCaller(agent::uri, TOKEN);
            TestPods.Pod pod = pods.startReady(TestPods.App.spinner("stall"));
            AgentApiCaller.Answer answer = api.capture(pod.namespace(), pod.pod(), pod.container());
            assertEquals(202, answer.status(), answer.body().toString());
            Thread.sleep(1500); // the script is sampling now
            long stoppedAt = System.nanoTime();
            signal(engine.pid(), "STOP");
            try {
                long asked = System.nanoTime();
                AgentApiCaller.Answer other = api.capture(pod.namespace(), "other-pod", pod.container());
                Duration admissionTook = Duration.ofNanos(System.nanoTime() - asked);
                assertEquals(503, other.status(), other.body().toString());
                assertEquals("error", other.outcome());
                assertTrue(String.valueOf(other.body().get("detail")).contains("did not answer"), other.body().toString());
                assertTrue(admissionTook.compareTo(Duration.ofSeconds(4)) < 0, "admission took " + admissionTook);

                Map<String, Object> listed = api.awaitFinished(pod.namespace(), pod.pod(), answer.captureId(),
                        EXEC_TIMEOUT.plusSeconds(5 + 10));
                Duration ended = Duration.ofNanos(System.nanoTime() - stoppedAt);
                String dump = api.dump(answer.captureId());
                Map<String, String> header = AgentApiCaller.header(dump);
                assertTrue(List.of("timed-out", "error").contains(header.get("outcome")), dump);
                // The engine never ended the script, so the outcome must not claim it did.
                assertTrue(header.get("error").contains("may still run in the target"), dump);
                assertTrue(!header.get("error").contains("was ended"), dump);
                assertTrue(ended.compareTo(EXEC_TIMEOUT.plusSeconds(5 + 3)) < 0, "the capture ended only after " + ended);
                String metrics = api.get("/metrics", null).body().toString();
                System.out.println("stalled engine: " + listed.get("outcome") + " after " + ended + ": " + header.get("error")
                        + "; admission answered in " + admissionTook);
                assertTrue(agent.healthy());
                assertTrue(metrics.contains("jdd_agent_slots_in_use 0"), "the slot is free: " + metrics);
                // Still stalled: the capture's own removal of the copied folder times out and hands it to the retry list.
                awaitLog(agent, "could not remove ", Duration.ofSeconds(60));
            } finally {
                signal(engine.pid(), "CONT");
            }
            // Once the engine answers again, the retry list removes the folder on its next round.
            String left = copiedFolders(engine, pod);
            for (int i = 0; i < 60 && !left.isEmpty(); i++) {
                Thread.sleep(500);
                left = copiedFolders(engine, pod);
            }
            assertEquals("", left, "the copy of craw.sh is removed from the container once the engine answers");
            awaitLog(agent, "on a later try", Duration.ofSeconds(5));
        }
    }

    private static void awaitLog(AgentProcess agent, String text, Duration within) throws InterruptedException {
        long end = System.nanoTime() + within.toNanos();
        while (!agent.logText().contains(text)) {
            assertTrue(System.nanoTime() < end, "no \"" + text + "\" in the agent's log within " + within + ":\n" + agent.logText());
            Thread.sleep(200);
        }
    }

    /** The agent's folders (.jdd-*) in the container's /tmp and /, through the engine's CLI. */
    private static String copiedFolders(PrivateDockerd engine, TestPods.Pod pod) throws Exception {
        Process p = new ProcessBuilder("docker", "-H", engine.host().toString(), "exec", pod.appId(), "sh", "-c",
                "ls -a /tmp / | grep '^\\.jdd-' || true").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    private static void signal(long pid, String signal) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor());
    }
}
