package dev.jdd.agent.docker;

import com.github.dockerjava.api.DockerClient;
import dev.jdd.testing.DockerCondition;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What most Docker ITs start with, as a JUnit extension ({@code @RegisterExtension static final DockerFixture
 * fixture = new DockerFixture();}): a client of the shared engine, a {@link DockerRuntime} on it and kubelet-like
 * {@link TestPods}, opened before the class's tests and closed after them, which removes the pods they started.
 */
public final class DockerFixture implements BeforeAllCallback, AfterAllCallback {
    public static final URI HOST = URI.create("unix://" + DockerCondition.socket());

    private DockerClient docker;
    private TestPods pods;
    private DockerRuntime runtime;

    @Override
    public void beforeAll(ExtensionContext context) {
        docker = DockerRuntime.client(HOST, 8, Duration.ofSeconds(60));
        pods = new TestPods(docker, HOST);
        runtime = new DockerRuntime(HOST);
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        if (docker == null) {
            return;
        }
        try (DockerClient client = docker; DockerRuntime opened = runtime) {
            pods.close();
        }
    }

    public DockerClient docker() {
        return docker;
    }

    public TestPods pods() {
        return pods;
    }

    public DockerRuntime runtime() {
        return runtime;
    }
}
