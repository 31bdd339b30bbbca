package dev.jdd.router;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

import java.net.URI;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Agent pods from the Kubernetes API, kept in a watch-backed cache (a fabric8 informer) and indexed by
 * {@code spec.nodeName} here in the router, so a webhook never lists the API. Only ready pods with a pod IP that are
 * not being deleted count; during a rollout the newest ready one wins.
 */
public final class KubernetesAgents implements AgentDirectory {
    private static final Logger LOG = Logger.getLogger(KubernetesAgents.class.getName());
    private static final String BY_NODE = "node";

    private final SharedIndexInformer<Pod> informer;
    private final int port;
    private final String where;

    public KubernetesAgents(KubernetesClient client, String namespace, String selector, int port) {
        this.port = port;
        this.where = "namespace " + namespace + " with selector " + selector;
        this.informer = client.pods().inNamespace(namespace).withLabelSelector(selector).runnableInformer(0);
        informer.addIndexers(Map.of(BY_NODE, pod -> pod.getSpec() == null || pod.getSpec().getNodeName() == null
                ? List.of() : List.of(pod.getSpec().getNodeName())));
        // By default an informer whose first list fails gives up for good; the router must keep trying (with
        // fabric8's backoff) so that /health turns ready once the API answers.
        informer.exceptionHandler((started, error) -> {
            LOG.log(Level.WARNING, "agent discovery: cannot list/watch agent pods in namespace " + namespace
                    + " with selector " + selector + ": " + error + " (retrying)");
            return true;
        });
        informer.start().whenComplete((ok, error) -> {
            if (error == null) {
                LOG.info("agent discovery: watching agent pods in namespace " + namespace + " with selector " + selector);
            }
        });
    }

    @Override
    public Optional<URI> agentFor(String node) {
        return informer.getIndexer().byIndex(BY_NODE, node).stream()
                .filter(KubernetesAgents::isReady)
                .max(Comparator.comparing((Pod p) -> String.valueOf(p.getMetadata().getCreationTimestamp())))
                .map(this::url);
    }

    @Override
    public String whyNone(String node) {
        return "no ready agent pod on node " + node + " (" + where + "): is the DaemonSet scheduled there?"
                + " kubectl get pods -o wide in that namespace shows it";
    }

    @Override
    public Map<String, URI> all() {
        Map<String, URI> all = new TreeMap<>();
        for (Pod pod : informer.getIndexer().list()) {
            if (isReady(pod) && pod.getSpec() != null && pod.getSpec().getNodeName() != null) {
                String node = pod.getSpec().getNodeName();
                agentFor(node).ifPresent(u -> all.put(node, u));
            }
        }
        return all;
    }

    @Override
    public boolean ready() {
        return informer.hasSynced();
    }

    @Override
    public void close() {
        informer.close();
    }

    private URI url(Pod pod) {
        String ip = pod.getStatus().getPodIP();
        return URI.create("http://" + (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + port);
    }

    static boolean isReady(Pod pod) {
        if (pod.getMetadata() == null || pod.getMetadata().getDeletionTimestamp() != null || pod.getStatus() == null) {
            return false;
        }
        String ip = pod.getStatus().getPodIP();
        if (ip == null || ip.isBlank() || !ip.matches("[0-9a-fA-F.:]+")) {
            return false;
        }
        List<PodCondition> conditions = pod.getStatus().getConditions();
        return conditions != null && conditions.stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }
}
