package dev.jdd.router;

import dev.jdd.common.CaptureInfo;
import dev.jdd.common.Names;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** {@code GET /captures}: every agent's capture list merged, newest first; and one capture's dump or profile from its node's agent. */
public final class Captures implements AutoCloseable {
    public static final int DEFAULT_LIMIT = 100;
    public static final int MAX_LIMIT = 1000;
    private static final int MAX_ID_LENGTH = 128;
    private static final int MAX_ERROR_BYTES = 64 * 1024;

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

    /** What of one capture its agent serves as text. */
    public enum Text {
        DUMP("the dump", "no capture "), PROFILE("the profile", "no profile for capture ");

        private final String what;
        private final String none;

        Text(String what, String none) {
            this.what = what;
            this.none = none;
        }

        /** The router's 404 detail when the agent has none. */
        String missing(String node, String id) {
            return none + id + " on node " + node;
        }
    }

    /**
     * The open body (the caller closes it) of the agent's 200 answer for one capture's dump or profile; empty when the
     * agent has none (its 400 or 404). Any other answer is {@link AgentClient.AgentUnreachableException}; a bad node or
     * id is a 400 {@link HookException}, a node without an agent a 404.
     */
    public Optional<InputStream> text(String node, String id, Text what) throws AgentClient.AgentUnreachableException {
        URI agent = agentFor(node, id);
        AgentClient.Dump answer = what == Text.DUMP ? client.dump(agent, id) : client.profile(agent, id);
        if (answer.statusCode() == 200) {
            return Optional.of(answer.body());
        }
        try (InputStream in = answer.body()) {
            in.readNBytes(MAX_ERROR_BYTES);
        } catch (IOException e) {
            // the answer is an error either way; its body only tells the agent's words
        }
        if (answer.statusCode() == 404 || answer.statusCode() == 400) {
            return Optional.empty();
        }
        throw new AgentClient.AgentUnreachableException("agent answered " + answer.statusCode() + " to " + what.what);
    }

    /**
     * The capture while its agent still has it waiting or running (no end yet). Only the agent's newest
     * {@link #DEFAULT_LIMIT} captures are asked for: one that has not finished was accepted lately, and the list page
     * that links to it shows no more by default.
     */
    public Optional<CaptureInfo> unfinished(String node, String id) throws AgentClient.AgentUnreachableException {
        return client.list(agentFor(node, id), null, null, DEFAULT_LIMIT).stream()
                .filter(c -> id.equals(c.captureId()) && c.end() == null)
                .findFirst();
    }

    /** The path of one capture's page (and raw dump) on the router. */
    static String pagePath(String node, String id) {
        return "/captures/" + urlPart(node) + "/" + urlPart(id);
    }

    /** Text percent-encoded as one part of a URL path or query ({@code /} and {@code ?} stay data); null is empty. */
    static String urlPart(String text) {
        return text == null ? "" : URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
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
