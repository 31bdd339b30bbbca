package dev.jdd.agent.runtime;

/** The labels kubelet puts on every container it starts; the runtimes find a pod's container by them. */
public final class KubeletLabels {
    public static final String NAMESPACE = "io.kubernetes.pod.namespace";
    public static final String POD = "io.kubernetes.pod.name";
    public static final String CONTAINER = "io.kubernetes.container.name";

    private KubeletLabels() {
    }
}
