package dev.jdd.agent.cri;

import dev.jdd.agent.runtime.RuntimeUnavailableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CRI endpoints as crictl names them, checked without gRPC: {@code --runtime=auto} looks for each candidate's socket
 * file here before it touches {@link CriRuntime}, so that a Docker node, where no CRI socket exists, never loads gRPC
 * or Netty (about 3 MiB of the agent's RSS, docs/cri.md).
 */
public final class CriEndpoint {
    /** The candidates {@code --runtime=auto} tries, in order (crictl's defaults, and k3s's and cri-dockerd's). */
    public static final List<String> USUAL_ENDPOINTS = List.of(
            "unix:///run/containerd/containerd.sock",
            "unix:///var/run/crio/crio.sock",
            "unix:///run/k3s/containerd/containerd.sock",
            "unix:///var/run/cri-dockerd.sock");

    private CriEndpoint() {
    }

    /**
     * The gRPC target of {@code endpoint} ({@code unix:///path}, or a bare path made one).
     *
     * @throws RuntimeUnavailableException naming the endpoint, when it is a unix socket and no file is there
     */
    public static String existingTarget(String endpoint) {
        String target = endpoint.startsWith("/") ? "unix://" + endpoint : endpoint;
        if (target.startsWith("unix://") && !Files.exists(Path.of(target.substring("unix://".length())))) {
            throw new RuntimeUnavailableException("CRI runtime at " + target + ": no socket there");
        }
        return target;
    }
}
