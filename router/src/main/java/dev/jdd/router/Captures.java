package dev.jdd.router;

import dev.jdd.common.CaptureInfo;
import dev.jdd.common.Names;

import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** {@code GET /captures}: every agent's capture list merged, newest first; and one dump from one node's agent. */
public final class Captures implements AutoCloseable {
    public static final int DEFAULT_LIMIT = 100;
    public static final int MAX_LIMIT = 1000;
    private static final int MAX_ID_LENGTH = 128;

    private final AgentDirectory agents;
    private final AgentClient client;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    public Captures(AgentDirectory agents, AgentClient client) {
        this.agents = agents;
        this.client = client;
    }

    /** A node whose agent did not answer the list; the others are still shown. */
    public record NodeError(String node, String detail) {
    }

    public record Listing(List<CaptureInfo> captures, List<NodeError> errors) {
    }

    public Listing list(String namespace, String pod, int limit) throws InterruptedException {
        if (namespace != null && !Names.isLabel(namespace)) {
            throw new HookException(400, "namespace is not a DNS-1123 label");
        }
        if (pod != null && !Names.isSubdomain(pod)) {
            throw new HookException(400, "pod is not a DNS-1123 subdomain");
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new HookException(400, "limit must be between 1 and " + MAX_LIMIT);
        }
        Map<String, URI> all = agents.all();
        List<String> nodes = new ArrayList<>(all.keySet());
        List<Future<List<CaptureInfo>>> futures = new ArrayList<>();
        for (String node : nodes) {
            futures.add(executor.submit(() -> client.list(all.get(node), namespace, pod, limit)));
        }
        List<CaptureInfo> captures = new ArrayList<>();
        List<NodeError> errors = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            String node = nodes.get(i);
            try {
                for (CaptureInfo c : futures.get(i).get()) {
                    captures.add(c.node() != null ? c : new CaptureInfo(c.captureId(), node, c.namespace(), c.pod(),
                            c.container(), c.start(), c.end(), c.outcome(), c.engine(), c.exitCode(), c.bytes(), c.error(), c.truncated()));
                }
            } catch (ExecutionException e) {
                errors.add(new NodeError(node, e.getCause().getMessage()));
            }
        }
        captures.sort(Comparator.comparing((CaptureInfo c) -> c.start() == null ? "" : c.start()).reversed());
        return new Listing(captures.size() > limit ? List.copyOf(captures.subList(0, limit)) : captures, errors);
    }

    /** The agent's answer for one dump, body still open; 400/404 as {@link HookException}. */
    public AgentClient.Dump dump(String node, String id) throws AgentClient.AgentUnreachableException {
        return client.dump(agentFor(node, id), id);
    }

    /** The agent's answer for one capture's profile (collapsed stacks), body still open; 400/404 as {@link HookException}. */
    public AgentClient.Dump profile(String node, String id) throws AgentClient.AgentUnreachableException {
        return client.profile(agentFor(node, id), id);
    }

    private URI agentFor(String node, String id) {
        if (!Names.isSubdomain(node)) {
            throw new HookException(400, "node is not a DNS-1123 subdomain");
        }
        if (id == null || id.isEmpty() || id.length() > MAX_ID_LENGTH || !id.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new HookException(400, "capture id must be 1 to " + MAX_ID_LENGTH + " printable ASCII characters");
        }
        return agents.agentFor(node).orElseThrow(() -> new HookException(404, "no ready agent on node " + node));
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
