package dev.jdd.agent.profile;

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
 * The profile with exactly the capabilities daemonset.yaml grants the agent (SYS_PTRACE, KILL, DAC_OVERRIDE; no
 * FOWNER, no CHOWN): the profiler runs as root in a container with hostPID and only those, against a shell-less JRE
 * of uid 1000 in another container, records, reads and removes everything it made in that container's /tmp.
 */
@RequiresDocker
class ProfileCapabilitiesIT {
    private static final URI HOST = DockerFixture.HOST;
    @RegisterExtension
    static final DockerFixture fixture = new DockerFixture();

    @Test
    void theDaemonSetsCapabilitiesAreEnoughToRecordReadAndRemove() throws Exception {
        String jre = TestImages.jvm(fixture.docker(), HOST, TestImages.Spec.jreWithJfr());
        TestPods.Pod pod = fixture.pods().startReady(TestPods.App.spinner("profile-caps").withImage(jre).withUser("1000:1000"));
        long pid = fixture.runtime().find(pod.namespace(), pod.pod(), pod.container()).map(Target::hostPid).orElseThrow();
        // The agent's side: a JRE that can read recordings and log, and a shell for the node engine's kill.
        String agentImage = TestImages.jvm(fixture.docker(), HOST, new TestImages.Spec(List.of("java.base", "java.logging", "jdk.jfr"), true));
        String out = AgentLikeContainer.run(fixture, agentImage, ProfileOnce.class, List.of(Long.toString(pid)),
                Capability.SYS_PTRACE, Capability.KILL, Capability.DAC_OVERRIDE);
        // The child's log lines (stderr) may come between its two result lines (stdout).
        assertTrue(out.lines().anyMatch(l -> l.matches("samples=[1-9]\\d*")) && out.lines().anyMatch(l -> l.equals("left=[]")), out);
    }
}
