package dev.jdd.agent;

import dev.jdd.agent.cri.CriEndpoint;
import dev.jdd.agent.cri.CriRuntime;
import dev.jdd.agent.docker.DockerRuntime;
import dev.jdd.agent.local.LocalRuntime;
import dev.jdd.agent.runtime.ContainerRuntime;
import dev.jdd.agent.runtime.RuntimeUnavailableException;
import dev.jdd.common.ConfigException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * Picks the container runtime from {@code --runtime}: {@code auto} takes the first CRI endpoint that answers
 * {@code Version} ({@code --runtime-endpoint}, else the usual sockets in order), else Docker; {@code cri} the same
 * without the Docker fallback; {@code docker} and {@code local} as named.
 */
public final class RuntimeChoice {
    private static final Logger LOG = Logger.getLogger(RuntimeChoice.class.getName());
    /** How long a candidate may take to answer {@code Version} before the next is tried. */
    static final Duration PROBE_DEADLINE = Duration.ofSeconds(2);

    private RuntimeChoice() {
    }

    /** The runtime {@code config} names, with the usual CRI endpoints as candidates. */
    public static ContainerRuntime open(AgentConfig config) {
        return open(config.runtime(), config.runtimeEndpoint(), config.dockerHost(), CriEndpoint.USUAL_ENDPOINTS);
    }

    /**
     * @param candidates the CRI endpoints {@code auto} and {@code cri} try when {@code endpoint} is null (tests pass
     *                   their own)
     * @throws ConfigException when the named runtime cannot be used: a bad {@code --docker-host}, or no CRI endpoint
     *                         answers with {@code --runtime=cri} (naming every socket tried)
     */
    public static ContainerRuntime open(String runtime, String endpoint, String dockerHost, List<String> candidates) {
        List<String> tried = endpoint != null ? List.of(endpoint) : candidates;
        return switch (runtime) {
            case "local" -> new LocalRuntime();
            case "docker" -> docker(dockerHost);
            case "cri" -> {
                List<String> failures = new ArrayList<>();
                ContainerRuntime cri = firstAnswering(tried, failures);
                if (cri == null) {
                    throw new ConfigException("--runtime=cri: no CRI runtime answers at " + String.join(", ", tried)
                            + (endpoint == null ? " (set --runtime-endpoint)" : "") + ": " + String.join("; ", failures));
                }
                yield cri;
            }
            default -> {
                ContainerRuntime cri = firstAnswering(tried, new ArrayList<>());
                if (cri != null) {
                    yield cri;
                }
                LOG.info("runtime auto: no CRI runtime answers at " + String.join(", ", tried) + "; using Docker at " + dockerHost);
                yield docker(dockerHost);
            }
        };
    }

    private static ContainerRuntime firstAnswering(List<String> endpoints, List<String> failures) {
        for (String endpoint : endpoints) {
            try {
                // The socket file first: without one, gRPC and Netty are never loaded (Docker nodes).
                CriEndpoint.existingTarget(endpoint);
                CriRuntime cri = CriRuntime.connect(endpoint, PROBE_DEADLINE);
                LOG.info("runtime: " + cri.name() + " over CRI at " + cri.endpoint());
                return cri;
            } catch (RuntimeUnavailableException e) {
                LOG.warning("runtime: " + e.getMessage() + (endpoints.size() > 1 ? "; trying the next" : ""));
                failures.add(e.getMessage());
            }
        }
        return null;
    }

    private static ContainerRuntime docker(String dockerHost) {
        try {
            return new DockerRuntime(URI.create(dockerHost));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--docker-host=" + dockerHost + ": " + e.getMessage());
        }
    }
}
