package dev.jdd.agent.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jdd.agent.runtime.ExecResult;
import dev.jdd.testing.HotJvm;
import dev.jdd.testing.Jdks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The node engine against real JVMs on this host, where {@code /proc/P/root} is {@code /} and the pid
 * namespace is the host's: the same code paths as for a container, with ids that happen to be equal. Covers
 * the JDK running the tests (decimal nids), JDK 17 (hex nids), and JVMs running as another, non-root user.
 */
class NodeCaptureIT {
    private static final List<String> AS_NOBODY = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups");
    private static final Pattern RANKED = Pattern.compile("(?m)^#(\\d+) cpu=(\\d+\\.\\d)% tid=(\\d+) \"([^\\n]*)\"(?: ([A-Z_]+))?$");

    private final NodeCapture engine = NodeCapture.onThisNode();

    @Test
    void hotSpinnerIsFirstOnTheCurrentJdk() throws Exception {
        try (HotJvm jvm = HotJvm.start()) {
            assertHotSpinnerFirstTwice(jvm);
        }
    }

    @Test
    void hotSpinnerIsFirstOnJdk17WithHexNids() throws Exception {
        Path jdk17 = Jdks.require(17);
        try (HotJvm jvm = HotJvm.start(jdk17, 3, List.of())) {
            assertHotSpinnerFirstTwice(jvm);
        }
    }

    @Test
    void aJvmOfAnotherNonRootUserIsCaptured() throws Exception {
        assumeRootWithSetpriv();
        try (HotJvm jvm = HotJvm.start(AS_NOBODY, Jdks.current(), 3, List.of())) {
            assertEquals("65534", uidOf(jvm.pid()));
            assertHotSpinnerFirstTwice(jvm);
        }
    }

    @Test
    void aJdk17JvmOfAnotherNonRootUserIsCaptured() throws Exception {
        assumeRootWithSetpriv();
        try (HotJvm jvm = HotJvm.start(AS_NOBODY, Jdks.require(17), 3, List.of())) {
            assertHotSpinnerFirstTwice(jvm);
        }
    }

    @Test
    void fullDumpIsAppendedAfterTheRankedBlocks() throws Exception {
        try (HotJvm jvm = HotJvm.start()) {
            String out = ok(engine.capture(jvm.pid(), 2, Duration.ofMillis(500), true, Duration.ofSeconds(30)));
            assertEquals(2, count(out));
            int full = out.indexOf("\n# full-dump\n");
            assertTrue(full > out.indexOf("#2 cpu="), out);
            assertTrue(out.indexOf("\"idle-1\"", full) > 0, "the full dump has every thread");
        }
    }

    @Test
    void aProcessWithoutJvmIsExitThree() throws Exception {
        Process sleep = new ProcessBuilder("sleep", "30").start();
        try {
            ExecResult r = engine.capture(sleep.pid(), 5, Duration.ofMillis(100), false, Duration.ofSeconds(10));
            assertEquals(3, r.exitCode());
            assertTrue(new String(r.stderr(), StandardCharsets.UTF_8).contains("no JVM found"));
            assertFalse(r.timedOut());
        } finally {
            sleep.destroyForcibly();
        }
        ExecResult gone = engine.capture(Integer.MAX_VALUE, 5, Duration.ofMillis(100), false, Duration.ofSeconds(10));
        assertEquals(3, gone.exitCode());
        assertTrue(new String(gone.stderr(), StandardCharsets.UTF_8).contains("is gone"));
    }

    private void assertHotSpinnerFirstTwice(HotJvm jvm) throws Exception {
        for (int round = 1; round <= 2; round++) {
            String out = ok(engine.capture(jvm.pid(), 50, Duration.ofSeconds(1), false, Duration.ofSeconds(30)));
            String[] lines = out.split("\n");
            assertEquals("# jdd-capture: 1", lines[0]);
            assertEquals("# pid: " + jvm.pid(), lines[1]);
            assertEquals("# engine: node", lines[2]);
            assertEquals("# interval-ms: 1000", lines[3]);
            // The first attach starts HotSpot's "Attach Listener" thread after the sample was taken.
            long threads = Long.parseLong(lines[4].substring("# threads: ".length()));
            long now = taskCount(jvm.pid());
            assertTrue(threads == now || round == 1 && threads == now - 1, lines[4] + " vs " + now + " in round " + round);
            assertEquals("#", lines[5]);
            Matcher first = RANKED.matcher(lines[6]);
            assertTrue(first.matches(), lines[6]);
            assertEquals("1", first.group(1));
            assertEquals("hot-spinner", first.group(4), out);
            assertEquals("RUNNABLE", first.group(5));
            double cpu = Double.parseDouble(first.group(2));
            // Ranked first is what counts; its share depends on how loaded the machine is.
            assertTrue(cpu > 0.5 && cpu <= 105, "hot-spinner cpu " + cpu);
            assertEquals(Long.toString(HotJvm.tidNamed(jvm.pid(), "hot-spinner")), first.group(3), "nid matched to the right tid");
            assertTrue(lines[7].startsWith("\"hot-spinner\" #"), lines[7]);
            assertTrue(out.contains("at dev.jdd.testing.Spinner.spin("), "the stack block follows");
            assertTrue(out.contains("\"idle-1\" WAITING\n"), "idle threads are ranked too");
            assertTrue(count(out) >= 10, "threads without Java frames get their line as well");
            assertNoTriggerLeft(jvm.pid());
            assertTrue(Files.exists(Path.of("/proc/" + jvm.pid() + "/root/tmp/.java_pid" + jvm.pid())),
                    "the attach listener stays up for the next capture");
        }
    }

    private static String ok(ExecResult r) {
        String err = new String(r.stderr(), StandardCharsets.UTF_8);
        assertEquals(0, r.exitCode(), err);
        assertFalse(r.timedOut());
        return new String(r.stdout(), StandardCharsets.UTF_8);
    }

    private static long count(String out) {
        return RANKED.matcher(out).results().count();
    }

    private static void assertNoTriggerLeft(long pid) throws IOException {
        Path cwd = Path.of("/proc/" + pid + "/cwd");
        assertFalse(Files.exists(cwd.resolve(".attach_pid" + pid)), "no trigger left in the working directory");
        assertFalse(Files.exists(Path.of("/proc/" + pid + "/root/tmp/.attach_pid" + pid)), "no trigger left in /tmp");
    }

    private static long taskCount(long pid) throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            return tasks.count();
        }
    }

    private static String uidOf(long pid) throws IOException {
        return ProcFs.statusField(Files.readString(Path.of("/proc/" + pid + "/status")), "Uid").split("\\s+")[1];
    }

    private static void assumeRootWithSetpriv() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to run a JVM as another user");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv (util-linux)");
    }
}
