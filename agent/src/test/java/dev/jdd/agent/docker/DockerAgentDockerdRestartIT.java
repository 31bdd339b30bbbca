package dev.jdd.agent.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import dev.jdd.testing.RequiresDocker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * dockerd stops and starts again under a running agent: admission answers {@code error} with the reason (503,
 * so callers retry), the agent stays up, and captures work again once dockerd is back, with no restart of
 * the agent. Runs on a private dockerd; the shared dockerd is never stopped.
 */
@RequiresDocker
class DockerAgentDockerdRestartIT {
    private static final String TOKEN = "restart-" + TestPods.RUN;

    @TempDir
    Path work;

    @Test
    void theAgentAnswersErrorWhileDockerdIsDownAndCapturesAgainWhenItIsBack() throws Exception {
        try (PrivateDockerd dockerd = PrivateDockerd.startOrSkip();
             DockerClient docker = DockerRuntime.client(dockerd.host(), 4, Duration.ofSeconds(120));
             TestPods pods = new TestPods(docker, dockerd.host());
             AgentProcess agent = AgentProcess.start(List.of("--token=" + TOKEN, "--engine=script", "--runtime=docker",
                     "--docker-host=" + dockerd.host(), "--dump-dir=" + work.resolve("stacks"), "--interval=1s",
                     "--cooldown=0s"), work.resolve("agent.log"))) {
            AgentApiCaller api = new AgentApiCaller(agent::uri, TOKEN);
            TestPods.Pod pod = pods.startReady(TestPods.App.spinner("engine"));
            capturedWithHotThreadFirst(api, pod);

            dockerd.stop();

            AgentApiCaller.Answer down = api.capture(pod.namespace(), pod.pod(), pod.container());
            assertEquals(503, down.status(), down.body().toString());
            assertEquals("error", down.outcome());
            assertTrue(String.valueOf(down.body().get("detail")).contains(dockerd.host().toString()), down.body().toString());
            assertTrue(agent.healthy(), "the agent must stay up while dockerd is down");

            dockerd.startProcess();
            pods.restart(pod);
            pods.awaitLog(pod.appId(), "ready ", 2, Duration.ofMinutes(2));

            capturedWithHotThreadFirst(api, pod);
        }
    }

    private static void capturedWithHotThreadFirst(AgentApiCaller api, TestPods.Pod pod) throws Exception {
        AgentApiCaller.Answer answer = api.capture(pod.namespace(), pod.pod(), pod.container());
        assertEquals(202, answer.status(), answer.body().toString());
        Map<String, Object> listed = api.awaitFinished(pod.namespace(), pod.pod(), answer.captureId(), Duration.ofMinutes(2));
        String dump = api.dump(answer.captureId());
        assertEquals("ok", listed.get("outcome"), dump);
        DockerAgentIT.assertHotThreadFirst(dump);
    }
}
