package dev.jdd.router;

import dev.jdd.common.Admission;
import dev.jdd.common.CaptureRequest;
import dev.jdd.common.Names;
import dev.jdd.common.Outcome;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * Turns the targets of one webhook into answers: validate (DNS-1123), place (node and containers from the API when
 * the alert did not say), find the node's agent, and ask it to capture — in parallel, at most {@code concurrency}
 * outbound calls at once across the whole router.
 */
public final class Dispatcher implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Dispatcher.class.getName());

    private final PodLookup pods;
    private final AgentDirectory agents;
    private final AgentClient client;
    private final int maxTargets;
    private final Semaphore outbound;
    private final RouterMetrics metrics;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    /** @param pods null when the router has no cluster (static agents): targets must then carry node and container */
    public Dispatcher(PodLookup pods, AgentDirectory agents, AgentClient client, int maxTargets, int concurrency,
                      RouterMetrics metrics) {
        this.pods = pods;
        this.agents = agents;
        this.client = client;
        this.maxTargets = maxTargets;
        this.outbound = new Semaphore(concurrency);
        this.metrics = metrics;
    }

    /** A target after placement: either ready to send ({@code result == null}) or already answered. */
    private record Placed(AlertTarget target, TargetResult result) {
    }

    public HookResult dispatch(ParsedWebhook hook, boolean dryRun) throws InterruptedException {
        if (hook.targets().size() > maxTargets) {
            throw new HookException(400, "the payload names " + hook.targets().size() + " targets, more than --max-targets="
                    + maxTargets + "; nothing was captured");
        }
        List<Placed> placed = placeAll(hook.targets());
        if (placed.size() > maxTargets) {
            throw new HookException(400, "the pods' containers make " + placed.size() + " targets, more than --max-targets="
                    + maxTargets + "; nothing was captured");
        }
        List<TargetResult> results = parallel(placed, p -> p.result != null ? p.result : forward(p.target, dryRun));
        for (TargetResult r : results) {
            metrics.target(r.outcome());
        }
        return new HookResult(hook.format(), results);
    }

    private List<Placed> placeAll(List<AlertTarget> targets) throws InterruptedException {
        // Only targets that need the API are placed in parallel; the others are placed on this thread.
        List<AlertTarget> lookups = targets.stream().filter(Dispatcher::needsLookup).toList();
        List<List<Placed>> looked = lookups.isEmpty() ? List.of() : parallel(lookups, this::place);
        Map<String, Placed> distinct = new LinkedHashMap<>();
        int next = 0;
        for (AlertTarget t : targets) {
            for (Placed p : needsLookup(t) ? looked.get(next++) : place(t)) {
                String key = p.result != null ? "answered\u0000" + distinct.size() : p.target.key();
                distinct.putIfAbsent(key, p);
            }
        }
        return new ArrayList<>(distinct.values());
    }

    private static boolean needsLookup(AlertTarget t) {
        return (t.node() == null || t.container() == null) && valid(t) == null;
    }

    private static String valid(AlertTarget t) {
        String problem = Names.problem(t.namespace(), t.pod(), t.container(), true);
        if (problem == null && t.node() != null && !Names.isSubdomain(t.node())) {
            problem = "node is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.')";
        }
        return problem;
    }

    private List<Placed> place(AlertTarget t) {
        String problem = valid(t);
        if (problem != null) {
            return List.of(answered(t, Outcome.INVALID, problem));
        }
        if (t.node() != null && t.container() != null) {
            return List.of(new Placed(t, null));
        }
        if (pods == null) {
            return List.of(answered(t, Outcome.INVALID, (t.node() == null ? "no node label" : "no container label")
                    + ": with static --agents the router does not ask the Kubernetes API, so alerts must carry the node"
                    + " and container labels"));
        }
        Optional<PodLookup.PodPlace> place;
        try {
            outbound.acquire();
            try {
                place = pods.find(t.namespace(), t.pod());
            } finally {
                outbound.release();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of(answered(t, Outcome.ERROR, "interrupted while asking the Kubernetes API"));
        } catch (RuntimeException e) {
            return List.of(answered(t, Outcome.ERROR, "cannot ask the Kubernetes API for the pod: " + oneLine(e.getMessage())));
        }
        if (place.isEmpty()) {
            return List.of(answered(t, Outcome.NOT_FOUND, "the Kubernetes API does not know this pod"));
        }
        String node = t.node() != null ? t.node() : place.get().node();
        if (node == null) {
            return List.of(answered(t, Outcome.NOT_FOUND, "the pod is not scheduled on a node"));
        }
        List<String> containers = t.container() != null ? List.of(t.container()) : place.get().containers();
        if (containers.isEmpty()) {
            return List.of(answered(t, Outcome.NOT_FOUND, "the pod has no containers"));
        }
        List<Placed> out = new ArrayList<>();
        for (String c : containers) {
            out.add(new Placed(new AlertTarget(t.namespace(), t.pod(), c, node, t.alert(), t.origin()), null));
        }
        return out;
    }

    /**
     * What the agent reads of an alert: its name and value, each cut at the length the agent keeps in the dump header
     * ({@link CaptureRequest#ALERT_TEXT_MAX}). Labels stay here: the agent never reads them, and with them a valid
     * alert could exceed the agent's body cap and be refused as invalid, which Alertmanager never retries.
     */
    static CaptureRequest.Alert forwarded(CaptureRequest.Alert alert) {
        if (alert == null) {
            return null;
        }
        return new CaptureRequest.Alert(cut(alert.name()), cut(alert.value()), null);
    }

    private static String cut(String text) {
        if (text == null || text.length() <= CaptureRequest.ALERT_TEXT_MAX) {
            return text;
        }
        int end = CaptureRequest.ALERT_TEXT_MAX;
        // Never split a surrogate pair: half of one is not valid UTF-8.
        return text.substring(0, Character.isHighSurrogate(text.charAt(end - 1)) ? end - 1 : end);
    }

    private TargetResult forward(AlertTarget t, boolean dryRun) {
        Optional<URI> agent = agents.agentFor(t.node());
        if (agent.isEmpty()) {
            return result(t, Outcome.NO_AGENT, null, agents.whyNone(t.node()));
        }
        CaptureRequest request = new CaptureRequest(t.namespace(), t.pod(), t.container(), forwarded(t.alert()));
        long start = System.nanoTime();
        try {
            outbound.acquire();
            try {
                Admission a = client.capture(agent.get(), request, dryRun);
                return result(t, a.outcome(), a.captureId(), a.detail());
            } catch (AgentClient.AgentUnreachableException e) {
                return result(t, Outcome.AGENT_UNREACHABLE, null, e.getMessage() + " (" + agent.get() + ")");
            } finally {
                outbound.release();
                if (!dryRun) {
                    metrics.forwardLatency(System.nanoTime() - start);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return result(t, Outcome.AGENT_UNREACHABLE, null, "interrupted");
        }
    }

    private <A, B> List<B> parallel(List<A> items, Function<A, B> work) throws InterruptedException {
        if (items.size() == 1) {
            return List.of(work.apply(items.getFirst()));
        }
        List<Future<B>> futures = new ArrayList<>(items.size());
        for (A item : items) {
            futures.add(executor.submit(() -> work.apply(item)));
        }
        List<B> out = new ArrayList<>(items.size());
        for (Future<B> f : futures) {
            try {
                out.add(f.get());
            } catch (ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }
        return out;
    }

    private static Placed answered(AlertTarget t, Outcome outcome, String detail) {
        return new Placed(t, result(t, outcome, null, detail));
    }

    private static TargetResult result(AlertTarget t, Outcome outcome, String captureId, String detail) {
        return new TargetResult(t.namespace(), t.pod(), t.container(), t.node(), outcome, captureId, detail, t.origin());
    }

    /** One line per target; called after the answer is on its way, so logging does not delay the sender. */
    public static void log(HookResult result) {
        for (TargetResult r : result.targets()) {
            LOG.info(() -> "capture=" + (r.captureId() == null ? "-" : r.captureId()) + " node=" + safe(r.node())
                    + " target=" + safe(r.namespace()) + "/" + safe(r.pod()) + "/" + safe(r.container())
                    + " format=" + result.format().wire() + " outcome=" + r.outcome().wire()
                    + (r.detail() == null ? "" : " detail=" + safe(r.detail())));
        }
    }

    /** Log lines carry alert text only after it is cut down to printable characters. */
    static String safe(String s) {
        if (s == null) {
            return "-";
        }
        int n = Math.min(s.length(), 200);
        StringBuilder sb = new StringBuilder(n + 3);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            sb.append(c >= 0x20 && c <= 0x7e ? c : '?');
        }
        return n < s.length() ? sb.append("...").toString() : sb.toString();
    }

    private static String oneLine(String s) {
        return s == null ? "no detail" : s.lines().findFirst().orElse("").strip();
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
