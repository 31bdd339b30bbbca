package dev.jdd.agent;

import dev.jdd.common.Histogram;
import dev.jdd.common.Outcome;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/** Counters for {@code /metrics}, rendered as Prometheus text by hand (no metrics library needed for five series). */
public final class AgentMetrics {
    private final Map<Outcome, LongAdder> admissions = new EnumMap<>(Outcome.class);
    private final Map<String, LongAdder> captures = new LinkedHashMap<>();
    private final Histogram duration = new Histogram("jdd_agent_capture_duration_seconds",
            "Time a capture ran (from its slot to its file).", 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120);

    public AgentMetrics() {
        for (Outcome o : Outcome.values()) {
            admissions.put(o, new LongAdder());
        }
        for (String o : CaptureResult.OUTCOMES) {
            captures.put(o, new LongAdder());
        }
    }

    void admitted(Outcome outcome) {
        admissions.get(outcome).increment();
    }

    void captured(String outcome, Duration took) {
        captures.get(outcome).increment();
        duration.observe(took);
    }

    long admissions(Outcome outcome) {
        return admissions.get(outcome).sum();
    }

    long captures(String outcome) {
        return captures.get(outcome).sum();
    }

    /** Prometheus text format 0.0.4. */
    String render(CaptureScheduler scheduler, DumpStore store) {
        StringBuilder out = new StringBuilder(2048);
        out.append("# HELP jdd_agent_admissions_total Capture requests by admission outcome.\n");
        out.append("# TYPE jdd_agent_admissions_total counter\n");
        for (Outcome o : new Outcome[] {Outcome.ACCEPTED, Outcome.IN_PROGRESS, Outcome.COOLDOWN, Outcome.BUSY,
                Outcome.NOT_FOUND, Outcome.STOPPING, Outcome.INVALID, Outcome.ERROR}) {
            out.append("jdd_agent_admissions_total{outcome=\"").append(o.wire()).append("\"} ")
                    .append(admissions.get(o).sum()).append('\n');
        }
        out.append("# HELP jdd_agent_captures_total Finished captures by outcome.\n");
        out.append("# TYPE jdd_agent_captures_total counter\n");
        captures.forEach((o, n) -> out.append("jdd_agent_captures_total{outcome=\"").append(o).append("\"} ")
                .append(n.sum()).append('\n'));
        duration.render(out);
        gauge(out, "jdd_agent_slots_in_use", "Captures running now.", scheduler::running);
        gauge(out, "jdd_agent_slots", "Capture slots (--slots).", scheduler::slots);
        gauge(out, "jdd_agent_queue_depth", "Captures waiting for a slot.", scheduler::queued);
        gauge(out, "jdd_agent_queue_capacity", "Waiting places (--queue).", scheduler::queueCapacity);
        gauge(out, "jdd_agent_dump_files", "Dump files kept.", store::count);
        gauge(out, "jdd_agent_dump_bytes", "Bytes of dump files kept.", store::totalBytes);
        return out.toString();
    }

    private static void gauge(StringBuilder out, String name, String help, LongSupplier value) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(" gauge\n");
        out.append(name).append(' ').append(value.getAsLong()).append('\n');
    }
}
