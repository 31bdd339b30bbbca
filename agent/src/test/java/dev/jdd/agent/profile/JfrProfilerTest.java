package dev.jdd.agent.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The parts of the profiler that need no JVM: the settings it writes and how it words a refusal. */
class JfrProfilerTest {
    @Test
    void settingsEnableOnlyTheSamplerOfTheTargetsJdk() {
        String cpuTime = new String(JfrProfiler.settings(true), StandardCharsets.UTF_8);
        assertTrue(cpuTime.contains("<event name=\"jdk.CPUTimeSample\">") && cpuTime.contains("\"throttle\">10 ms<"), cpuTime);
        assertEquals(1, cpuTime.split("<event ").length - 1, cpuTime);
        String execution = new String(JfrProfiler.settings(false), StandardCharsets.UTF_8);
        assertTrue(execution.contains("<event name=\"jdk.ExecutionSample\">") && execution.contains("\"period\">10 ms<"), execution);
        assertEquals(1, execution.split("<event ").length - 1, execution);
    }

    @Test
    void refusalsNameTheirCause() {
        assertEquals("JFR disabled with -XX:-FlightRecorder",
                JfrProfiler.refusal("JFR.start", "Flight Recorder is disabled.\n"));
        assertTrue(JfrProfiler.refusal("JFR.start", "Module jdk.jfr not found.\n").startsWith("no JFR in this JVM: "));
        assertTrue(JfrProfiler.refusal("JFR.start", "java.lang.IllegalArgumentException: Unknown diagnostic command\n")
                .startsWith("no JFR in this JVM: "));
        assertEquals("JFR.stop failed: Could not find jdd-1.", JfrProfiler.refusal("JFR.stop", "\nCould not find jdd-1.\nmore\n"));
    }
}
