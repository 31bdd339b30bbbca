package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.common.Outcome;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentMetricsTest {
    @TempDir
    Path dumps;

    @Test
    void rendersCountersHistogramAndGaugesAsPrometheusText() throws Exception {
        AgentMetrics metrics = new AgentMetrics();
        AgentConfig config = AgentConfig.forTest(dumps, null);
        DumpStore store = new DumpStore(dumps, "n", config.retentionBytes(), config.retentionAge(), Clock.systemUTC());
        store.open();
        FakeRuntime runtime = new FakeRuntime();
        CaptureScheduler scheduler = new CaptureScheduler(config, runtime, new CaptureRunner(runtime, new byte[0], config,
                Clock.systemUTC()), store, metrics, Clock.systemUTC());
        metrics.admitted(Outcome.ACCEPTED);
        metrics.admitted(Outcome.BUSY);
        metrics.admitted(Outcome.BUSY);
        metrics.captured(CaptureResult.OK, Duration.ofMillis(2500));
        metrics.captured(CaptureResult.TIMED_OUT, Duration.ofSeconds(31));

        String text = metrics.render(scheduler, store);
        scheduler.shutdown(Duration.ZERO);
        for (String line : new String[] {
                "# TYPE jdd_agent_admissions_total counter",
                "jdd_agent_admissions_total{outcome=\"accepted\"} 1",
                "jdd_agent_admissions_total{outcome=\"busy\"} 2",
                "jdd_agent_admissions_total{outcome=\"error\"} 0",
                "jdd_agent_captures_total{outcome=\"ok\"} 1",
                "jdd_agent_captures_total{outcome=\"timed-out\"} 1",
                "jdd_agent_captures_total{outcome=\"interrupted\"} 0",
                "# TYPE jdd_agent_capture_duration_seconds histogram",
                "jdd_agent_capture_duration_seconds_bucket{le=\"2.0\"} 0",
                "jdd_agent_capture_duration_seconds_bucket{le=\"3.0\"} 1",
                "jdd_agent_capture_duration_seconds_bucket{le=\"30.0\"} 1",
                "jdd_agent_capture_duration_seconds_bucket{le=\"60.0\"} 2",
                "jdd_agent_capture_duration_seconds_bucket{le=\"+Inf\"} 2",
                "jdd_agent_capture_duration_seconds_sum 33.5",
                "jdd_agent_capture_duration_seconds_count 2",
                "jdd_agent_slots_in_use 0",
                "jdd_agent_slots 10",
                "jdd_agent_queue_depth 0",
                "jdd_agent_queue_capacity 100",
                "jdd_agent_dump_files 0"}) {
            assertTrue(text.contains(line + "\n"), line + " missing from:\n" + text);
        }
        assertTrue(text.endsWith("\n"));
    }
}
