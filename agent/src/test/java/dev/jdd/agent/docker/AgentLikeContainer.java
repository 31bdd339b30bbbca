package dev.jdd.agent.docker;

import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Volume;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class of the agent's (or its tests') in a container the way the DaemonSet runs the agent: root,
 * {@code hostPID}, no network, every capability dropped and only {@code caps} added; the agent's classes mounted
 * read-only. Returns the container's output once it exits.
 */
public final class AgentLikeContainer {
    private AgentLikeContainer() {
    }

    public static String run(DockerFixture fixture, String image, Class<?> main, List<String> args, Capability... caps)
            throws InterruptedException {
        List<Bind> binds = new ArrayList<>();
        List<String> classpath = new ArrayList<>();
        int i = 0;
        for (Path dir : List.of(Path.of("target/classes"), Path.of("target/test-classes"))) {
            String inside = "/jdd/" + i++;
            binds.add(new Bind(dir.toAbsolutePath().toString(), new Volume(inside), AccessMode.ro));
            classpath.add(inside);
        }
        HostConfig host = HostConfig.newHostConfig().withPidMode("host").withNetworkMode("none")
                .withCapDrop(Capability.ALL).withCapAdd(caps).withBinds(binds);
        List<String> command = new ArrayList<>(List.of("java", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp",
                String.join(":", classpath), main.getName()));
        command.addAll(args);
        String id = fixture.docker().createContainerCmd(image)
                .withName(TestPods.RUN + "-agent-like-" + System.nanoTime())
                .withLabels(Map.of(TestPods.RUN_LABEL, TestPods.RUN))
                .withUser("0:0").withEnv(TestImages.ENV).withHostConfig(host)
                .withCmd(command)
                .exec().getId();
        try {
            fixture.docker().startContainerCmd(id).exec();
            fixture.docker().waitContainerCmd(id).start().awaitStatusCode(90, TimeUnit.SECONDS);
            return fixture.pods().logs(id);
        } finally {
            fixture.docker().removeContainerCmd(id).withForce(true).exec();
        }
    }
}
