package dev.jdd.agent.docker;

import static dev.jdd.agent.docker.DockerRuntimeIT.bytes;
import static dev.jdd.agent.docker.DockerRuntimeIT.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import dev.jdd.agent.runtime.ExecResult;
import dev.jdd.agent.runtime.RuntimeUnavailableException;
import dev.jdd.agent.runtime.Target;
import dev.jdd.testing.RequiresDocker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * dockerd stops (mid-exec) and starts again: the runtime reports it as unavailable with the reason, then works
 * again with the same client. Runs on a private dockerd of its own; the shared dockerd is never stopped.
 */
@RequiresDocker
class DockerRuntimeDockerdRestartIT {

    @Test
    void aDockerdThatStopsIsUnavailableAndTheRuntimeRecoversWhenItIsBack() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (PrivateDockerd dockerd = PrivateDockerd.startOrSkip();
             DockerClient docker = DockerRuntime.client(dockerd.host(), 4, Duration.ofSeconds(60));
             TestPods pods = new TestPods(docker, dockerd.host());
             DockerRuntime runtime = new DockerRuntime(dockerd.host())) {
            TestPods.App app = TestPods.App.spinner("restarts").withImage(TestImages.pause(docker, dockerd.host()))
                    .withCommand(List.of("/bin/busybox", "sleep", "2147483647"));
            TestPods.Pod pod = pods.start(app);
            Target before = runtime.find(pod.namespace(), pod.pod(), pod.container()).orElseThrow();
            assertEquals("up\n", text(runtime.exec(before, List.of("echo", "up"), null, Duration.ofSeconds(30)).stdout()));

            Future<ExecResult> running = pool.submit(() -> runtime.exec(before, List.of("/bin/busybox", "sleep", "300"),
                    null, Duration.ofSeconds(240)));
            awaitSleeping(runtime, before);

            dockerd.stop();

            ExecutionException midExec = assertThrows(ExecutionException.class, () -> running.get(120, TimeUnit.SECONDS));
            assertTrue(midExec.getCause() instanceof RuntimeUnavailableException, String.valueOf(midExec.getCause()));
            RuntimeUnavailableException down = assertThrows(RuntimeUnavailableException.class,
                    () -> runtime.find(pod.namespace(), pod.pod(), pod.container()));
            assertTrue(down.getMessage().contains(dockerd.host().toString()), down.getMessage());
            assertThrows(RuntimeUnavailableException.class,
                    () -> runtime.exec(before, List.of("echo"), null, Duration.ofSeconds(10)));
            assertThrows(RuntimeUnavailableException.class, () -> runtime.copy(before, Map.of("a", bytes("b"))));

            dockerd.startProcess();
            pods.restart(pod);

            // The very first call after dockerd is back must work: no sticky broken connection, no reset needed.
            Target after = runtime.find(pod.namespace(), pod.pod(), pod.container()).orElseThrow();
            assertEquals(before.id(), after.id());
            ExecResult r = runtime.exec(after, List.of("echo", "back"), null, Duration.ofSeconds(30));
            assertEquals("back\n", text(r.stdout()));
            String folder = runtime.copy(after, Map.of("s.sh", bytes("echo copied\n")));
            assertEquals("copied\n", text(runtime.exec(after, List.of("sh", folder + "/s.sh"), null, Duration.ofSeconds(30)).stdout()));
            runtime.removeFolder(after, folder);
        } finally {
            pool.shutdownNow();
        }
    }

    private static void awaitSleeping(DockerRuntime runtime, Target target) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            ExecResult ps = runtime.exec(target, List.of("sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '"), null,
                    Duration.ofSeconds(30));
            if (text(ps.stdout()).contains("sleep 300")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the exec never started");
    }
}
