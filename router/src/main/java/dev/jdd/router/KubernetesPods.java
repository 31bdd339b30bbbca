package dev.jdd.router;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;

import java.util.List;
import java.util.Optional;

/** One GET per pod (cheap, and only for targets without a node or container label). */
public final class KubernetesPods implements PodLookup {
    private final KubernetesClient client;

    public KubernetesPods(KubernetesClient client) {
        this.client = client;
    }

    @Override
    public Optional<PodPlace> find(String namespace, String pod) {
        Pod p = client.pods().inNamespace(namespace).withName(pod).get();
        if (p == null || p.getSpec() == null) {
            return Optional.empty();
        }
        List<String> containers = p.getSpec().getContainers() == null ? List.of()
                : p.getSpec().getContainers().stream().map(Container::getName).toList();
        return Optional.of(new PodPlace(p.getSpec().getNodeName(), containers));
    }
}
