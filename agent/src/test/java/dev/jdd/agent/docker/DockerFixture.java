package dev.jdd.agent.docker;

import com.github.dockerjava.api.DockerClient;
import dev.jdd.testing.DockerCondition;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;

/**
 * What most Docker ITs start with: a client of the shared engine, a {@link DockerRuntime} on it and kubelet-like
 * {@link TestPods}. Closing it removes the pods the test started.
 */
public record DockerFixture(DockerClient docker, TestPods pods, DockerRuntime runtime) implements AutoCloseable {
    public static final URI HOST = URI.create("unix://" + DockerCondition.socket());

    public static DockerFixture open() {
        DockerClient docker = DockerRuntime.client(HOST, 8, Duration.ofSeconds(60));
        return new DockerFixture(docker, new TestPods(docker, HOST), new DockerRuntime(HOST, 4));
    }

    @Override
    public void close() throws IOException {
        try (docker; runtime) {
            pods.close();
        }
    }
}
