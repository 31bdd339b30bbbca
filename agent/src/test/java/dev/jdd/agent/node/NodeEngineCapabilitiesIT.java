package dev.jdd.agent.node;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.model.Capability;
import dev.jdd.agent.docker.AgentLikeContainer;
import dev.jdd.agent.docker.DockerFixture;
import dev.jdd.agent.docker.TestImages;
import dev.jdd.agent.docker.TestPods;
import dev.jdd.agent.runtime.Target;
import dev.jdd.testing.RequiresDocker;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The capabilities daemonset.yaml grants the agent for the node engine, checked for real: the engine runs in a
 * container as root with {@code hostPID}, every capability dropped and only SYS_PTRACE, KILL and DAC_OVERRIDE
 * added, against a JVM of uid 1000 in another (JRE-only, shell-less) container. With all three it captures;
 * without any one of them it fails with the message that names it.
 */
@RequiresDocker
class NodeEngineCapabilitiesIT {
    private static final URI HOST = DockerFixture.HOST;
    @RegisterExtension
    static final DockerFixture fixture = new DockerFixture();

    @Test
    void sysPtraceKillAndDacOverrideAreEnoughAndEachIsNeeded() throws Exception {
        String jre = TestImages.jvm(fixture.docker(), HOST, TestImages.Spec.jreOnly());
        TestPods.Pod pod = fixture.pods().startReady(TestPods.App.spinner("caps").withImage(jre).withUser("1000:1000"));
        long pid = fixture.runtime().find(pod.namespace(), pod.pod(), pod.container()).map(Target::hostPid).orElseThrow();
        String agentImage = TestImages.jvm(fixture.docker(), HOST);  // a JDK runtime with busybox: the agent image has a shell too

        // Order matters: the listener starts only once, so the signal-related cases come first.
        String noPtrace = runEngine(agentImage, pid, Capability.KILL, Capability.DAC_OVERRIDE);
        assertTrue(noPtrace.startsWith("exit=3") && noPtrace.contains("CAP_SYS_PTRACE"), noPtrace);
        String noKill = runEngine(agentImage, pid, Capability.SYS_PTRACE, Capability.DAC_OVERRIDE);
        assertTrue(noKill.startsWith("exit=5") && noKill.contains("cannot send SIGQUIT") && noKill.contains("CAP_KILL"), noKill);
        String noDac = runEngine(agentImage, pid, Capability.SYS_PTRACE, Capability.KILL);
        assertTrue(noDac.startsWith("exit=5") && noDac.contains("CAP_DAC_OVERRIDE"), noDac);
        String all = runEngine(agentImage, pid, Capability.SYS_PTRACE, Capability.KILL, Capability.DAC_OVERRIDE);
        assertTrue(all.startsWith("exit=0") && all.contains("# engine: node\n")
                && all.matches("(?s).*\n#1 cpu=\\d+\\.\\d% tid=\\d+ \"hot-spinner\" RUNNABLE\n.*"), all);
    }

    /** Runs {@link CaptureOnce} in a root container with hostPID and only {@code caps}; returns its output. */
    private static String runEngine(String image, long pid, Capability... caps) throws InterruptedException {
        // The engine needs nothing beyond java.base and the agent's own classes (CaptureOnce is a test class).
        return AgentLikeContainer.run(fixture, image, CaptureOnce.class, List.of(Long.toString(pid)), caps);
    }
}
