package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.agent.docker.AgentApiCaller;
import dev.jdd.agent.docker.AgentProcess;
import dev.jdd.agent.docker.DockerFixture;
import dev.jdd.agent.docker.DockerRuntime;
import dev.jdd.agent.docker.TestImages;
import dev.jdd.agent.docker.TestPods;
import dev.jdd.testing.RequiresDocker;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --engine=auto} through the whole agent on the real Docker engine. An agent that sees the node's processes
 * (as with {@code hostPID}) takes every JVM from the node, whatever the image has: a JDK with a shell, a JRE with a
 * shell but no dump tool, a JRE with no shell at all and its JVM as uid 1000; nothing is copied into or run in any
 * of them. An agent in a pid namespace of its own (a pod without {@code hostPID}) cannot, so craw.sh captures with
 * the JDK's jcmd and the dump says why. The hot thread is #1 in every dump file.
 */
@RequiresDocker
class EngineAutoDockerIT {
    private static final URI HOST = DockerFixture.HOST;
    private static final String TOKEN = "auto-engine-token";
    @RegisterExtension
    static final DockerFixture fixture = new DockerFixture();

    @TempDir
    Path dumps;

    @Test
    void autoTakesEveryReachableJvmFromTheNodeAndRunsNothingInTheContainers() throws Exception {
        TestPods.Pod jdk = fixture.pods().startReady(TestPods.App.spinner("with-jdk"));
        TestPods.Pod jreWithShell = fixture.pods().startReady(TestPods.App.spinner("jre-shell")
                .withImage(TestImages.jvm(fixture.docker(), HOST, TestImages.Spec.jreWithShell())));
        TestPods.Pod distroless = fixture.pods().startReady(TestPods.App.spinner("distroless")
                .withImage(TestImages.jvm(fixture.docker(), HOST, TestImages.Spec.jreOnly())).withUser("1000:1000"));

        AgentConfig config = AgentConfig.forTest(dumps, TOKEN).withEngine("auto")
                .withCapture(20, Duration.ofSeconds(1), Duration.ofSeconds(40));
        try (Agent agent = Agent.start(config, new DockerRuntime(HOST))) {
            AgentApiCaller api = new AgentApiCaller(path -> URI.create("http://127.0.0.1:" + agent.port() + path), TOKEN);
            List<TestPods.Pod> pods = List.of(jdk, jreWithShell, distroless);
            List<String> ids = new java.util.ArrayList<>();
            for (TestPods.Pod pod : pods) {
                AgentApiCaller.Answer accepted = api.capture(pod.namespace(), pod.pod(), pod.container());
                assertEquals(202, accepted.status(), accepted.body().toString());
                ids.add(accepted.captureId());
            }
            for (int i = 0; i < pods.size(); i++) {
                String dump = awaitDump(api, pods.get(i), ids.get(i));
                assertTrue(dump.contains("# outcome: ok\n") && dump.contains("# engine: node\n"), dump);
                assertTrue(dump.contains("# jdd-capture: 1\n# pid: 1\n# engine: node\n"), dump);
                assertFalse(dump.contains("craw.sh"), dump);
                assertHotSpinnerFirst(dump);
            }
        }
        // Nothing of jdd's is in the containers (no craw.sh folder, no trigger file), and nothing ran there.
        for (TestPods.Pod pod : List.of(jdk, jreWithShell, distroless)) {
            long pid = fixture.docker().inspectContainerCmd(pod.appId()).exec().getState().getPidLong();
            try (Stream<Path> tmp = Files.list(Path.of("/proc/" + pid + "/root/tmp"))) {
                List<String> names = tmp.map(p -> p.getFileName().toString()).toList();
                assertTrue(names.stream().noneMatch(n -> n.startsWith("jdd") || n.startsWith(".attach_pid")), names.toString());
            }
            List<String> execs = fixture.docker().inspectContainerCmd(pod.appId()).exec().getExecIds();
            assertTrue(execs == null || execs.isEmpty(), "no exec in " + pod.pod() + ": " + execs);
        }
    }

    @Test
    void anAgentThatCannotSeeTheNodesProcessesRunsCrawShAndSaysWhy() throws Exception {
        TestPods.Pod jdk = fixture.pods().startReady(TestPods.App.spinner("no-host-pid"));
        try (AgentProcess agent = AgentProcess.startWithoutHostPid(List.of("--token=" + TOKEN, "--runtime=docker",
                "--docker-host=" + HOST, "--dump-dir=" + dumps, "--interval=1s", "--threads=20", "--profile=off"),
                dumps.resolveSibling(dumps.getFileName() + "-agent.log"))) {
            AgentApiCaller api = new AgentApiCaller(agent::uri, TOKEN);
            String dump = awaitDump(api, jdk, api.capture(jdk.namespace(), jdk.pod(), jdk.container()).captureId());
            assertTrue(dump.contains("# outcome: ok\n"), dump);
            assertTrue(dump.contains("# engine: jcmd\n"), dump);
            assertTrue(dump.matches("(?s).*\njdd: the node engine cannot capture this container \\(the container's main"
                    + " process \\d+ is gone or not visible \\(the agent needs hostPID and CAP_SYS_PTRACE\\).*\\); craw.sh"
                    + " captured instead\n.*"), dump);
            assertHotSpinnerFirst(dump);
        }
    }

    /** The dump of a finished capture, as the API serves it and as the file on disk holds it. */
    private String awaitDump(AgentApiCaller api, TestPods.Pod pod, String id) throws Exception {
        api.awaitFinished(pod.namespace(), pod.pod(), id, Duration.ofSeconds(120));
        String dump = api.dump(id);
        assertEquals(dump, Files.readString(AgentApiCaller.dumpFile(dumps, pod.namespace(), pod.pod(), pod.container(), id)));
        return dump;
    }

    private static void assertHotSpinnerFirst(String dump) {
        assertTrue(dump.matches("(?s).*\n#1 cpu=\\d+\\.\\d% tid=\\d+ \"hot-spinner\" RUNNABLE\n.*"), dump);
    }
}
