package dev.jdd.agent.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Folding a real recording, made in this test JVM while one of its threads computes in a known method. */
class CollapsedStacksTest {
    private static final Pattern LINE = Pattern.compile("[^; ]+(;[^; ]+)* [1-9]\\d*");
    static volatile long sink;

    @TempDir
    Path dir;

    @Test
    void foldsExecutionSamplesIntoRootFirstStacksMostSamplesFirst() throws Exception {
        Path file = dir.resolve("test.jfr");
        Thread hot = new Thread(CollapsedStacksTest::computeForAWhile, "fold-test-hot");
        try (Recording recording = new Recording()) {
            recording.enable(CollapsedStacks.EXECUTION_SAMPLE).withPeriod(Duration.ofMillis(10));
            recording.start();
            hot.start();
            hot.join();
            recording.stop();
            recording.dump(file);
        }
        CollapsedStacks.Folded folded = CollapsedStacks.fold(file);
        assertEquals("execution", folded.sampler());
        List<String> lines = folded.text().lines().toList();
        assertTrue(folded.samples() >= 10, "samples: " + folded.samples() + "\n" + folded.text());
        long sum = 0;
        long previous = Long.MAX_VALUE;
        for (String line : lines) {
            assertTrue(LINE.matcher(line).matches(), line);
            long count = Long.parseLong(line.substring(line.lastIndexOf(' ') + 1));
            assertTrue(count <= previous, "sorted by count, descending: " + folded.text());
            previous = count;
            sum += count;
        }
        assertEquals(folded.samples(), sum);
        assertEquals(lines.size(), lines.stream().map(l -> l.substring(0, l.lastIndexOf(' '))).distinct().count(),
                "one line per distinct stack");
        String mine = lines.stream().filter(l -> l.contains("CollapsedStacksTest.computeForAWhile")).findFirst().orElseThrow();
        assertTrue(mine.startsWith("java.lang.Thread.run;"), "root first: " + mine);
        assertTrue(mine.contains(";dev.jdd.agent.profile.CollapsedStacksTest.computeForAWhile"), mine);
        long hotSamples = lines.stream().filter(l -> l.contains("CollapsedStacksTest.computeForAWhile"))
                .mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1))).sum();
        assertTrue(hotSamples * 2 > folded.samples(), "the computing thread has most samples: " + folded.text());
    }

    @Test
    void aRecordingWithoutSamplesFoldsToNothing() throws Exception {
        Path file = dir.resolve("empty.jfr");
        try (Recording recording = new Recording()) {
            recording.enable("jdk.JVMInformation");
            recording.start();
            recording.stop();
            recording.dump(file);
        }
        CollapsedStacks.Folded folded = CollapsedStacks.fold(file);
        assertEquals("", folded.text());
        assertEquals(0, folded.samples());
        assertEquals(null, folded.sampler());
    }

    @Test
    void renderSortsByCountThenStackAndFramesCannotBreakTheFormat() {
        assertEquals("a;b 5\na;c 2\na;d 2\n", CollapsedStacks.render(Map.of("a;d", 2L, "a;b", 5L, "a;c", 2L)));
        assertEquals("Foo$$Lambda/0x1.run_x_y", CollapsedStacks.clean("Foo$$Lambda/0x1.run;x y"));
    }

    private static void computeForAWhile() {
        long end = System.nanoTime() + Duration.ofMillis(800).toNanos();
        long x = 1;
        while (System.nanoTime() < end) {
            for (int i = 0; i < 10_000; i++) {
                x = x * 6364136223846793005L + 1442695040888963407L;
            }
        }
        sink = x;
    }
}
