package dev.jdd.agent.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.testing.SplitSpinner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** What every profile test checks, whatever the runtime (local, Docker, CRI): shares, order, nothing left behind. */
public final class ProfileChecks {
    /** At least this many samples of the two methods, so that a share of 70% is not luck. */
    private static final long MIN_SAMPLES = 20;

    private ProfileChecks() {
    }

    /**
     * Collapsed stacks of a {@link SplitSpinner}: the samples of {@code seventy} and {@code thirty} split 70/30 within
     * 15 percentage points, and the hot thread's stacks come first. Returns the total sample count.
     */
    public static long assertSplitSpinnerShares(String collapsed) {
        long total = 0;
        long seventy = 0;
        long thirty = 0;
        List<String> lines = collapsed.lines().toList();
        for (String line : lines) {
            long n = Long.parseLong(line.substring(line.lastIndexOf(' ') + 1));
            total += n;
            if (line.contains("dev.jdd.testing.SplitSpinner.seventy")) {
                seventy += n;
            } else if (line.contains("dev.jdd.testing.SplitSpinner.thirty")) {
                thirty += n;
            }
        }
        assertTrue(seventy + thirty >= MIN_SAMPLES, "too few samples to judge (" + (seventy + thirty) + "):\n" + collapsed);
        double share = 100.0 * seventy / (seventy + thirty);
        assertTrue(Math.abs(share - 70) <= 15, "70/30 expected, got " + share + "% / " + (100 - share) + "%:\n" + collapsed);
        assertTrue(lines.size() >= 2 && lines.subList(0, 2).stream()
                        .allMatch(l -> l.startsWith("java.lang.Thread.run;") && l.contains(";dev.jdd.testing.SplitSpinner.")),
                "the hot thread's stacks come first:\n" + collapsed);
        return total;
    }

    /**
     * No profile folder (where the recording and its settings live) in a target's {@code /tmp}, as the node sees it.
     * Other {@code .jfr} files are not ours: on the local runtime this is the host's /tmp.
     */
    public static void assertNoProfileFilesIn(Path tmp) throws IOException {
        assertNoProfileFilesIn(tmp, "");
    }

    /**
     * No profile folder of the capture {@code captureId} in {@code tmp}: where {@code tmp} is the host's own /tmp (the
     * local runtime), other agents' captures may be under way there, so only this capture's folder counts.
     */
    public static void assertNoProfileFilesIn(Path tmp, String captureId) throws IOException {
        try (Stream<Path> files = Files.list(tmp)) {
            List<String> left = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(JfrProfiler.FOLDER_PREFIX + captureId)).toList();
            assertEquals(List.of(), left, "profile files left in " + tmp);
        }
    }
}
