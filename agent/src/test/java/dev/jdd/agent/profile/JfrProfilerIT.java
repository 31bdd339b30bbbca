package dev.jdd.agent.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.testing.HotJvm;
import dev.jdd.testing.Jdks;
import dev.jdd.testing.SplitSpinner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The profiler against real JVMs on this host (the local runtime's case: the "container" is the host, and the JVM's
 * /tmp is the host's): a hot thread that spends 70% of its time in one method and 30% in another, on JDK 17
 * (execution sampler) and JDK 25 (CPU-time sampler); JVMs that cannot be profiled say why.
 */
class JfrProfilerIT {
    private static final Duration INTERVAL = Duration.ofSeconds(4);

    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = {17, 25})
    void theProfileSharesFollowTheTimeSpentInEachMethod(int feature) throws Exception {
        try (HotJvm jvm = HotJvm.start(List.of(), Jdks.require(feature), SplitSpinner.class, List.of(), List.of("2"))) {
            Thread.sleep(500);  // let the JIT settle a little
            long began = System.nanoTime();
            String id = "it" + feature + "x" + jvm.pid();
            Profile profile = JfrProfiler.onThisNode(INTERVAL).start(jvm.pid(), id, "test: ").await();
            Duration took = Duration.ofNanos(System.nanoTime() - began);
            assertTrue(profile.present(), profile.unavailable());
            assertEquals(feature >= 25 ? "cpu-time" : "execution", profile.sampler());
            assertTrue(took.compareTo(INTERVAL.plus(JfrProfiler.BOUND)) <= 0, "took " + took);
            long total = ProfileChecks.assertSplitSpinnerShares(new String(profile.collapsed(), StandardCharsets.UTF_8));
            assertEquals(profile.samples(), total);
            ProfileChecks.assertNoProfileFilesIn(Path.of("/tmp"), id);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"-XX:-FlightRecorder", "-XX:+DisableAttachMechanism"})
    void aJvmThatCannotBeProfiledSaysWhy(String flag) throws Exception {
        try (HotJvm jvm = HotJvm.start(List.of(), Jdks.require(17), SplitSpinner.class, List.of(flag), List.of("1"))) {
            String id = "off" + jvm.pid();
            Profile profile = JfrProfiler.onThisNode(Duration.ofSeconds(1)).start(jvm.pid(), id, "test: ").await();
            assertNull(profile.collapsed());
            String expected = flag.contains("FlightRecorder") ? "JFR disabled with -XX:-FlightRecorder"
                    : "attach disabled with -XX:+DisableAttachMechanism";
            assertEquals(expected, profile.unavailable());
            ProfileChecks.assertNoProfileFilesIn(Path.of("/tmp"), id);
        }
    }
}
