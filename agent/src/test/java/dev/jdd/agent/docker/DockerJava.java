package dev.jdd.agent.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import java.net.URI;
import java.time.Duration;

/**
 * docker-java, the tests' own engine client: it builds images and runs kubelet-like pods, and it checks what the
 * agent's {@link EngineClient} did with a second, independent implementation of the API.
 */
public final class DockerJava {
    private DockerJava() {
    }

    public static DockerClient client(URI dockerHost, int maxConnections, Duration responseTimeout) {
        var config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(dockerHost.toString())
                .withDockerTlsVerify(false)
                .build();
        var http = new ZerodepDockerHttpClient.Builder()
                .dockerHost(dockerHost)
                .maxConnections(maxConnections)
                .connectionTimeout(Duration.ofSeconds(5));
        if (responseTimeout != null) {
            http.responseTimeout(responseTimeout);
        }
        return DockerClientImpl.getInstance(config, http.build());
    }
}
