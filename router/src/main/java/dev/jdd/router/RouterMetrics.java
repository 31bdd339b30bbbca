package dev.jdd.router;

import dev.jdd.common.Histogram;
import dev.jdd.common.Outcome;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Prometheus text exposition, by hand: webhooks by format and status, targets by outcome, forward latency. */
public final class RouterMetrics {
    private final Map<String, LongAdder> webhooks = new ConcurrentHashMap<>();
    private final Map<Outcome, LongAdder> targets = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> annotations = new ConcurrentHashMap<>();
    private final Histogram forwardLatency = new Histogram("jdd_router_forward_seconds",
            "Time for one agent to answer a capture request.", 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10);

    /** @param format the wire name, or {@code unknown} when the body was refused before its shape was known */
    public void webhook(String format, int status) {
        webhooks.computeIfAbsent(format + "\u0000" + status, k -> new LongAdder()).increment();
    }

    public void target(Outcome outcome) {
        targets.computeIfAbsent(outcome, k -> new LongAdder()).increment();
    }

    /** @param result ok, refused (4xx), failed (5xx or other), unreachable (connect, timeout), dropped (too many at once) */
    public void annotation(String result) {
        annotations.computeIfAbsent(result, k -> new LongAdder()).increment();
    }

    public void forwardLatency(long nanos) {
        forwardLatency.observe(Duration.ofNanos(nanos));
    }

    public String text() {
        StringBuilder sb = new StringBuilder();
        sb.append("# HELP jdd_router_webhooks_total Webhooks received, by detected format and answered HTTP status.\n");
        sb.append("# TYPE jdd_router_webhooks_total counter\n");
        new TreeMap<>(webhooks).forEach((k, v) -> {
            String[] parts = k.split("\u0000");
            sb.append("jdd_router_webhooks_total{format=\"").append(parts[0]).append("\",status=\"").append(parts[1])
                    .append("\"} ").append(v.sum()).append('\n');
        });
        sb.append("# HELP jdd_router_targets_total Targets answered, by outcome.\n");
        sb.append("# TYPE jdd_router_targets_total counter\n");
        for (Outcome o : Outcome.values()) {
            LongAdder v = targets.get(o);
            sb.append("jdd_router_targets_total{outcome=\"").append(o.wire()).append("\"} ").append(v == null ? 0 : v.sum()).append('\n');
        }
        sb.append("# HELP jdd_router_annotations_total Grafana annotations for accepted captures, by result.\n");
        sb.append("# TYPE jdd_router_annotations_total counter\n");
        for (String r : new String[]{"ok", "refused", "failed", "unreachable", "dropped"}) {
            LongAdder v = annotations.get(r);
            sb.append("jdd_router_annotations_total{result=\"").append(r).append("\"} ").append(v == null ? 0 : v.sum()).append('\n');
        }
        forwardLatency.render(sb);
        return sb.toString();
    }
}
