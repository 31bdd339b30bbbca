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
 * The engine stops and starts again under a running agent: admission answers {@code error} with the reason (503,
 * so callers retry), the agent stays up, and captures work again once the engine is back, with no restart of
 * the agent. Runs on a private dockerd; the shared engine is never stopped.
 */
@RequiresDocker
class DockerAgentEngineRestartIT {
    private static final String TOKEN = "restart-" + TestPods.RUN;

    @TempDir
    Path work;

    @Test
    void theAgentAnswersErrorWhileTheEngineIsDownAndCapturesAgainWhenItIsBack() throws Exception {
        PrivateDockerd.Result started = PrivateDockerd.start();
        if (started.dockerd() == null) {
            System.err.println("SKIPPED (no second Docker engine): " + started.problem());
        }
        Assumptions.assumeTrue(started.dockerd() != null, () -> "no second Docker engine: " + started.problem());
        try (PrivateDockerd engine = started.dockerd();
             DockerClient docker = DockerRuntime.client(engine.host(), 4, Duration.ofSeconds(120));
             TestPods pods = new TestPods(docker, engine.host());
             AgentProcess agent = AgentProcess.start(List.of("--token=" + TOKEN, "--runtime=docker",
                     "--docker-host=" + engine.host(), "--dump-dir=" + work.resolve("stacks"), "--interval=1s",
                     "--cooldown=0s"), work.resolve("agent.log"))) {
            AgentClient api = new AgentClient(agent::uri, TOKEN);
            TestPods.Pod pod = pods.startReady(TestPods.App.spinner("engine"));
            capturedWithHotThreadFirst(api, pod);

            engine.stop();

            AgentClient.Answer down = api.capture(pod.namespace(), pod.pod(), pod.container());
            assertEquals(503, down.status(), down.body().toString());
            assertEquals("error", down.outcome());
            assertTrue(String.valueOf(down.body().get("detail")).contains(engine.host().toString()), down.body().toString());
            assertTrue(agent.healthy(), "the agent must stay up while the engine is down");

            engine.startProcess();
            pods.restart(pod);
            pods.awaitLog(pod.appId(), "ready ", 2, Duration.ofMinutes(2));

            capturedWithHotThreadFirst(api, pod);
        }
    }

    private static void capturedWithHotThreadFirst(AgentClient api, TestPods.Pod pod) throws Exception {
        AgentClient.Answer answer = api.capture(pod.namespace(), pod.pod(), pod.container());
        assertEquals(202, answer.status(), answer.body().toString());
        Map<String, Object> listed = api.awaitFinished(pod.namespace(), pod.pod(), answer.captureId(), Duration.ofMinutes(2));
        String dump = api.dump(answer.captureId());
        assertEquals("ok", listed.get("outcome"), dump);
        DockerAgentIT.assertHotThreadFirst(dump);
    }
}
