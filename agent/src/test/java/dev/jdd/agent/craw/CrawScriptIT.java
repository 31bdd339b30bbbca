package dev.jdd.agent.craw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jdd.agent.craw.CrawOutput.Ranked;
import dev.jdd.agent.craw.CrawScript.Result;
import dev.jdd.agent.craw.CrawScript.Run;
import dev.jdd.agent.craw.CrawScript.Shell;
import dev.jdd.testing.HotJvm;
import dev.jdd.testing.Jdks;
import dev.jdd.testing.Spinner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * craw.sh against real JVMs (JDK 17 and the JDK 21+ running the tests) with a really hot thread and idle ones,
 * under dash and busybox sh. Every run gets a fresh TMPDIR that must be empty afterwards.
 */
class CrawScriptIT {
    /**
     * A hot thread burns up to one core; on a 2-core machine shared with other builds it may get far less, so the
     * figure is checked against the thread's own CPU time around the run rather than against a fixed share.
     */
    private static final double HOT_MIN = 10.0;
    private static final double ONE_CORE_MAX = 110.0;
    private static final double AGREEMENT = 25.0;
    private static final Duration RUN_LIMIT = Duration.ofSeconds(60);

    @TempDir
    Path scratch;
    Path script;
    Path tmp;

    @BeforeEach
    void copyScript() throws IOException {
        script = CrawScript.copyInto(scratch.resolve("agent-copy"));
        tmp = newTmp();
    }

    private Path newTmp() throws IOException {
        Path t = Files.createTempDirectory(scratch, "tmpdir");
        Files.setPosixFilePermissions(t, PosixFilePermissions.fromString("rwxrwxrwx"));
        return t;
    }

    private Run craw(Shell shell, String... args) {
        List<String> cmd = new ArrayList<>(shell.command());
        cmd.add(script.toString());
        cmd.addAll(List.of(args));
        return new Run(cmd).env("PATH", shell.path(scratch)).env("TMPDIR", tmp.toString()).without("JAVA_HOME");
    }

    private void assertTmpEmpty() throws IOException {
        assertEmpty(tmp);
    }

    static Stream<Arguments> jdksAndShells() {
        List<Arguments> all = new ArrayList<>();
        for (Shell shell : Shell.values()) {
            all.add(Arguments.of(17, shell));
            all.add(Arguments.of(Jdks.feature(Jdks.current()), shell));
        }
        return all.stream();
    }

    private static Path jdk(int feature) {
        return feature == 17 ? Jdks.require(17) : Jdks.current();
    }

    @ParameterizedTest(name = "JDK {0}, {1}")
    @MethodSource("jdksAndShells")
    void ranksTheHotThreadFirstWithItsStack(int feature, Shell shell) throws Exception {
        try (HotJvm jvm = HotJvm.start(jdk(feature), 3, List.of("-XX:-UsePerfData"))) {
            long hotTid = HotJvm.tidNamed(jvm.pid(), "hot-spinner");
            long ticksBefore = ticks(jvm.pid(), hotTid);
            long start = System.nanoTime();
            Result r = craw(shell, "-n", "50", "-i", "1500", "-p", Long.toString(jvm.pid())).run(scratch, RUN_LIMIT);
            double seen = 100.0 * (ticks(jvm.pid(), hotTid) - ticksBefore) / 100.0 / ((System.nanoTime() - start) / 1e9);

            assertEquals(0, r.exit(), r::toString);
            assertEquals(List.of(), r.errLines(), r::toString);
            CrawOutput out = CrawOutput.parse(r.out());
            assertEquals("# jdd-capture: 1", out.headerLines().get(0));
            assertEquals("# pid: " + jvm.pid(), out.headerLines().get(1));
            assertEquals("# engine: jcmd", out.headerLines().get(2));
            assertEquals("# interval-ms: 1500", out.headerLines().get(3));
            assertTrue(out.headerLines().get(4).matches("# threads: \\d+"), out.headerLines()::toString);
            assertEquals("#", out.headerLines().get(5));
            assertEquals(6, out.headerLines().size());
            int threads = Integer.parseInt(out.header().get("threads"));
            assertTrue(threads >= 6, "main, hot-spinner, 3 idle threads and VM threads: " + threads);
            assertEquals(Math.min(50, threads), out.ranked().size());
            assertRankedInOrder(out);

            Ranked hot = out.ranked().getFirst();
            assertEquals("hot-spinner", hot.name(), r::toString);
            assertEquals("RUNNABLE", hot.state());
            assertEquals(hotTid, hot.tid());
            assertTrue(hot.cpu() > HOT_MIN && hot.cpu() < ONE_CORE_MAX, "hot-spinner cpu " + hot.cpu());
            assertTrue(Math.abs(hot.cpu() - seen) < AGREEMENT, "craw says " + hot.cpu() + "%, /proc around the run "
                    + seen + "%");
            assertTrue(hot.block().getFirst().startsWith("\"hot-spinner\" "), hot.block()::toString);
            // The thread dump names native ids in hex up to JDK 20 and in decimal since: the match must use both.
            String nid = feature <= 20 ? "nid=0x" + Long.toHexString(hot.tid()) + " " : "nid=" + hot.tid() + " ";
            assertTrue(hot.block().getFirst().contains(nid), "expected " + nid + " in " + hot.block().getFirst());
            assertTrue(hot.block().stream().anyMatch(l -> l.contains("at dev.jdd.testing.Spinner.spin(")),
                    hot.block()::toString);

            for (String idle : List.of("idle-1", "idle-2", "idle-3")) {
                Ranked t = out.named(idle);
                assertTrue(t.rank() > 1, idle + " ranked " + t.rank());
                assertTrue(t.cpu() <= 5.0, idle + " cpu " + t.cpu());
                assertEquals("WAITING", t.state());
                assertTrue(t.hasJavaFrames(), t.block()::toString);
            }
            // Threads with no Java frames (VM, GC, compiler) are ranked too.
            Ranked vm = out.named("VM Thread");
            assertFalse(vm.hasJavaFrames());
            assertEquals(null, vm.state());
            assertTrue(out.fullDump().isEmpty());
        }
        assertTmpEmpty();
    }

    /** utime + stime of one thread, in clock ticks (USER_HZ, 100 on Linux). */
    static long ticks(long pid, long tid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "task", Long.toString(tid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static void assertRankedInOrder(CrawOutput out) {
        for (int i = 0; i < out.ranked().size(); i++) {
            assertEquals(i + 1, out.ranked().get(i).rank());
            if (i > 0) {
                assertTrue(out.ranked().get(i).cpu() <= out.ranked().get(i - 1).cpu(), "not busiest first: " + out);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Shell.class)
    void countLimitsTheBlocksAndDashAAppendsTheFullDump(Shell shell) throws Exception {
        try (HotJvm jvm = HotJvm.start()) {
            Result r = craw(shell, "-n", "3", "-a", "-i", "500", "-p", Long.toString(jvm.pid())).run(scratch, RUN_LIMIT);

            assertEquals(0, r.exit(), r::toString);
            CrawOutput out = CrawOutput.parse(r.out());
            assertEquals(3, out.ranked().size(), r::toString);
            assertEquals("hot-spinner", out.ranked().getFirst().name());
            String full = out.fullDump().orElseThrow(() -> new AssertionError("no full dump: " + r));
            assertTrue(full.contains("Full thread dump"), full);
            for (String name : List.of("\"idle-1\"", "\"idle-2\"", "\"idle-3\"", "\"hot-spinner\"", "\"main\"")) {
                assertTrue(full.contains(name), name + " missing from the full dump");
            }
        }
        assertTmpEmpty();
    }

    @ParameterizedTest
    @EnumSource(Shell.class)
    void badUsageExits2AndChangesNothing(Shell shell) throws Exception {
        List<List<String>> bad = List.of(List.of("-n", "0"), List.of("-n", "ten"), List.of("-i", "0"),
                List.of("-i", "99999999999"), List.of("-p", "-4"), List.of("-e", "gdb"), List.of("-x"),
                List.of("-n"), List.of("extra"));
        for (List<String> args : bad) {
            Result r = craw(shell, args.toArray(String[]::new)).run(scratch, RUN_LIMIT);
            assertEquals(2, r.exit(), () -> args + ": " + r);
            assertEquals("", r.out(), () -> args + ": " + r);
            assertTrue(r.err().contains("usage: craw.sh"), () -> args + ": " + r);
        }
        assertTmpEmpty();
    }

    @ParameterizedTest
    @EnumSource(Shell.class)
    void noJvmAtTheGivenPidExits3(Shell shell) throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        try {
            Result notJava = craw(shell, "-i", "100", "-p", Long.toString(sleeper.pid())).run(scratch, RUN_LIMIT);
            assertEquals(3, notJava.exit(), notJava::toString);
            assertEquals(List.of("craw: process " + sleeper.pid() + " is not a JVM"), notJava.errLines());
        } finally {
            sleeper.destroyForcibly();
            sleeper.waitFor();
        }
        Result gone = craw(shell, "-i", "100", "-p", Long.toString(sleeper.pid())).run(scratch, RUN_LIMIT);
        assertEquals(3, gone.exit(), gone::toString);
        assertEquals("", gone.out());
        assertTmpEmpty();
    }

    @ParameterizedTest
    @EnumSource(Shell.class)
    void stdinModeWorksAndHasNoArthas(Shell shell) throws Exception {
        Path stdin = scratch.resolve("stdin-craw.sh");
        Files.writeString(stdin, CrawScript.text());
        // An Arthas home in the working folder must not be taken for one beside the script.
        Path cwd = Files.createDirectories(scratch.resolve("cwd/arthas"));
        Files.writeString(cwd.resolve("arthas-boot.jar"), "not a jar");
        try (HotJvm jvm = HotJvm.start()) {
            String pid = Long.toString(jvm.pid());
            List<String> cmd = new ArrayList<>(shell.command());
            cmd.addAll(List.of("-s", "--", "-n", "5", "-i", "700", "-p", pid));
            Result r = new Run(cmd).stdin(stdin).in(cwd.getParent()).env("PATH", shell.path(scratch))
                    .env("TMPDIR", tmp.toString()).run(scratch, RUN_LIMIT);
            assertEquals(0, r.exit(), r::toString);
            CrawOutput out = CrawOutput.parse(r.out());
            assertEquals("jcmd", out.header().get("engine"));
            assertEquals("hot-spinner", out.ranked().getFirst().name());
            assertEquals(5, out.ranked().size());

            cmd = new ArrayList<>(shell.command());
            cmd.addAll(List.of("-s", "--", "-e", "arthas", "-i", "100", "-p", pid));
            Result arthas = new Run(cmd).stdin(stdin).in(cwd.getParent()).env("PATH", shell.path(scratch))
                    .env("TMPDIR", tmp.toString()).run(scratch, RUN_LIMIT);
            assertEquals(4, arthas.exit(), arthas::toString);
            assertEquals(1, arthas.errLines().size(), arthas::toString);
        }
        assertTmpEmpty();
    }

    @Test
    void withNoWritableTemporaryFolderItKeepsEverythingInMemory() throws Exception {
        assumeTrue(CrawScript.root(), "needs root for a mount namespace with a read-only /tmp");
        try (HotJvm jvm = HotJvm.start()) {
            String pid = Long.toString(jvm.pid());
            // A first capture starts the JVM's attach listener while /tmp is writable, as in a real container.
            assertEquals(0, craw(Shell.DASH, "-n", "1", "-i", "100", "-p", pid).run(scratch, RUN_LIMIT).exit());
            Path stdin = scratch.resolve("stdin-craw.sh");
            Files.writeString(stdin, CrawScript.text());
            List<String> cmd = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
                    "for d in /tmp /dev/shm /var/tmp; do mount --bind $d $d && mount -o remount,ro,bind $d || exit 90;"
                            + " done; exec \"$@\"", "ro-tmp"));
            cmd.addAll(Shell.BUSYBOX.command());
            cmd.addAll(List.of("-s", "--", "-n", "4", "-i", "700", "-p", pid));
            Result r = new Run(cmd).stdin(stdin).env("PATH", Shell.BUSYBOX.path(scratch)
                    + ":/usr/bin:/bin").env("TMPDIR", tmp.toString()).run(scratch, RUN_LIMIT);
            assumeTrue(r.exit() != 90 && !r.err().contains("unshare failed"), "cannot make a mount namespace: " + r);
            assertEquals(0, r.exit(), r::toString);
            assertEquals(List.of("craw: no writable temporary folder; keeping everything in memory"), r.errLines());
            CrawOutput out = CrawOutput.parse(r.out());
            assertEquals("hot-spinner", out.ranked().getFirst().name());
            assertEquals(4, out.ranked().size());
        }
        assertTmpEmpty();
    }

    @ParameterizedTest
    @EnumSource(Shell.class)
    void withSeveralJvmsItTakesTheBusiestAndSaysSo(Shell shell) throws Exception {
        String inner = """
                java=$1; cp=$2; dir=$3; shift 3
                "$java" -Xmx64m -XX:+UseSerialGC -XX:-UsePerfData -cp "$cp" dev.jdd.testing.Spinner 3 0 >"$dir/idle.out" 2>&1 &
                idle=$!
                "$java" -Xmx64m -XX:+UseSerialGC -XX:-UsePerfData -cp "$cp" dev.jdd.testing.Spinner 3 1 >"$dir/hot.out" 2>&1 &
                hot=$!
                n=0
                until grep -q ready "$dir/hot.out" && grep -q ready "$dir/idle.out"; do
                  sleep 0.2; n=$((n + 1)); [ $n -lt 200 ] || { cat "$dir/hot.out" "$dir/idle.out"; exit 91; }
                done
                echo "hot=$hot idle=$idle" >"$dir/pids"
                PATH=$PATH_FOR_CRAW "$@" -n 5 -i 1500 >"$dir/craw.out" 2>"$dir/craw.err"
                echo $? >"$dir/craw.exit"
                kill $hot $idle; wait
                """;
        Path base = outsideTmp();
        try {
            Path dir = Files.createDirectories(base.resolve("ns"));
            List<String> args = new ArrayList<>(List.of(Jdks.current().resolve("bin/java").toString(),
                    spinnerClasspath(base).toString(), dir.toString()));
            args.addAll(shell.command());
            args.add(CrawScript.copyInto(base.resolve("agent-copy")).toString());
            Result ns = inPidNamespace(inner, shell, base, args);
            assertEquals(0, ns.exit(), ns::toString);
            String exit = Files.readString(dir.resolve("craw.exit")).strip();
            String out = Files.readString(dir.resolve("craw.out"));
            String err = Files.readString(dir.resolve("craw.err"));
            assertEquals("0", exit, () -> out + err);
            Matcher pids = Pattern.compile("hot=(\\d+) idle=(\\d+)").matcher(Files.readString(dir.resolve("pids")));
            assertTrue(pids.find());
            CrawOutput parsed = CrawOutput.parse(out);
            assertEquals(pids.group(1), parsed.header().get("pid"), out);
            assertEquals("hot-spinner", parsed.ranked().getFirst().name());
            assertTrue(err.matches("craw: 2 JVMs found \\(pids \\d+ \\d+\\); taking " + pids.group(1)
                    + ", the busiest over the interval\n"), err);
            assertEmpty(base.resolve("tmpdir"));
        } finally {
            deleteTree(base);
        }
    }

    /** A folder outside /tmp, which the PID namespace tests cover with a private tmpfs. */
    /**
     * A folder the PID namespace still sees after it mounts its own /tmp: under /var/tmp, not under the build
     * folder, which may itself lie below /tmp (a checkout in /tmp).
     */
    private static Path outsideTmp() throws IOException {
        Path base = Files.createTempDirectory(Path.of("/var/tmp"), "craw-ns");
        Files.createDirectories(base.resolve("tmpdir"));
        return base;
    }

    /** Spinner's classes copied into {@code base}, for the same reason as {@link #outsideTmp()}. */
    private static Path spinnerClasspath(Path base) throws IOException {
        Path source = HotJvm.classpath();
        Path target = base.resolve("spinner-cp");
        try (Stream<Path> all = Files.walk(source)) {
            for (Path p : all.toList()) {
                Path to = target.resolve(source.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.createDirectories(to.getParent());
                    Files.copy(p, to);
                }
            }
        }
        return target;
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void assertEmpty(Path folder) throws IOException {
        try (Stream<Path> left = Files.list(folder)) {
            assertEquals(List.of(), left.toList(), "craw.sh left files in its TMPDIR");
        }
    }

    /**
     * Runs {@code inner} (sh -c, with {@code args}) as PID 1 of a new PID namespace with its own /proc and /tmp,
     * like a container. PATH_FOR_CRAW is the PATH the shell under test gets; TMPDIR is base/tmpdir.
     */
    private Result inPidNamespace(String inner, Shell shell, Path base, List<String> args) throws Exception {
        assumeTrue(CrawScript.root(), "needs root for a PID namespace");
        List<String> cmd = new ArrayList<>(List.of("unshare", "--pid", "--fork", "--mount-proc", "--propagation",
                "private", "sh", "-c", "mount -t tmpfs -o size=64m craw-it /tmp || exit 90\n" + inner, "craw-ns"));
        cmd.addAll(args);
        Result r = new Run(cmd).env("TMPDIR", base.resolve("tmpdir").toString())
                .env("PATH_FOR_CRAW", shell.path(base)).run(scratch, RUN_LIMIT);
        assumeTrue(r.exit() != 90 && !r.err().contains("unshare failed"), "cannot make a PID namespace: " + r);
        return r;
    }

    @ParameterizedTest
    @EnumSource(Shell.class)
    void withNoJvmAtAllItExits3(Shell shell) throws Exception {
        Path base = outsideTmp();
        try {
            List<String> args = new ArrayList<>(shell.command());
            args.add(CrawScript.copyInto(base.resolve("agent-copy")).toString());
            Result r = inPidNamespace("PATH=$PATH_FOR_CRAW \"$@\" -i 200", shell, base, args);
            assertEquals(3, r.exit(), r::toString);
            assertEquals(List.of("craw: no JVM found in /proc"), r.errLines());
            assertEquals("", r.out());
            assertEmpty(base.resolve("tmpdir"));
        } finally {
            deleteTree(base);
        }
    }

    @ParameterizedTest
    @EnumSource(Shell.class)
    void asTheJvmsOwnNonRootUser(Shell shell) throws Exception {
        assumeTrue(CrawScript.root(), "needs root to run the JVM and the script as user nobody");
        List<String> nobody = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups");
        Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (HotJvm jvm = HotJvm.start(nobody, Jdks.require(17), 3, List.of("-XX:-UsePerfData"))) {
            List<String> cmd = new ArrayList<>(nobody);
            cmd.addAll(shell.command());
            cmd.addAll(List.of(script.toString(), "-n", "50", "-i", "1000", "-p", Long.toString(jvm.pid())));
            Result r = new Run(cmd).env("PATH", shell.path(scratch)).env("TMPDIR", tmp.toString()).env("HOME", "/")
                    .run(scratch, RUN_LIMIT);
            assertEquals(0, r.exit(), r::toString);
            CrawOutput out = CrawOutput.parse(r.out());
            assertEquals("hot-spinner", out.ranked().getFirst().name(), r::toString);
            assertTrue(out.ranked().getFirst().cpu() > HOT_MIN, r::toString);
            assertTrue(out.named("idle-2").rank() > 1);

            // And root (the default user of docker exec) capturing that non-root JVM.
            Result asRoot = craw(shell, "-n", "10", "-i", "1000", "-p", Long.toString(jvm.pid())).run(scratch, RUN_LIMIT);
            assertEquals(0, asRoot.exit(), asRoot::toString);
            assertEquals("hot-spinner", CrawOutput.parse(asRoot.out()).ranked().getFirst().name());
        }
        assertTmpEmpty();
    }

    @Test
    void aDumpThatNeverComesEndsWithExit6WithinTheDeadline() throws Exception {
        try (HotJvm jvm = HotJvm.start()) {
            String pid = Long.toString(jvm.pid());
            assertEquals(0, craw(Shell.DASH, "-n", "1", "-i", "100", "-p", pid).run(scratch, RUN_LIMIT).exit());
            // Stopped, the JVM accepts the attach connection but never answers it.
            CrawScript.signal(jvm.pid(), "STOP");
            try {
                Result r = craw(Shell.BUSYBOX, "-n", "5", "-i", "500", "-p", pid).run(scratch, RUN_LIMIT);
                assertEquals(6, r.exit(), r::toString);
                assertEquals(1, r.errLines().size(), r::toString);
                assertTrue(r.err().contains("(what was left of the time limit of 20 s, -t)"), r::toString);
                assertTrue(r.err().startsWith("craw: jcmd did not answer within "), r::toString);
                assertEquals("", r.out());
                assertTrue(r.took().compareTo(Duration.ofMillis(500 + 20_000 + 3_000)) < 0, r::toString);
            } finally {
                CrawScript.signal(jvm.pid(), "CONT");
            }
        }
        assertTmpEmpty();
    }

    @Test
    void theTimeLimitFollowsDashTAndEndsWithExit6() throws Exception {
        try (HotJvm jvm = HotJvm.start()) {
            String pid = Long.toString(jvm.pid());
            // The interval alone outlasts the limit: the main shell gives up at 2 s and says so.
            Result r = craw(Shell.DASH, "-n", "5", "-i", "5000", "-t", "2", "-p", pid).run(scratch, RUN_LIMIT);
            assertEquals(6, r.exit(), r::toString);
            assertEquals("craw: gave up: the run did not end within its time limit of 2 s (-t)", r.err().strip());
            assertTrue(r.took().compareTo(Duration.ofMillis(4500)) < 0, r::toString);
            assertEquals("", r.out());
            // A limit that leaves room: the run fits.
            Result ok = craw(Shell.DASH, "-n", "5", "-i", "200", "-t", "25", "-p", pid).run(scratch, RUN_LIMIT);
            assertEquals(0, ok.exit(), ok::toString);
            Result bad = craw(Shell.DASH, "-t", "0").run(scratch, RUN_LIMIT);
            assertEquals(2, bad.exit(), bad::toString);
        }
        assertTmpEmpty();
    }

    /** Names that dash's or busybox's echo would mangle (backslash escapes), printf formats, quotes, non-ASCII. */
    static final List<String> ODD_NAMES = List.of("stop\\chere", "hot\\nline", "100%cpu %s %d", "say \"hi\" 'there'",
            "tab\\there \\\\ two", "ünïcødé-线程");

    static Stream<List<String>> everyShell() {
        List<List<String>> shells = new ArrayList<>();
        for (Shell shell : Shell.values()) {
            shells.add(shell.command());
        }
        shells.add(List.of("/bin/bash"));
        return shells.stream();
    }

    @ParameterizedTest
    @MethodSource("everyShell")
    void threadNamesArePrintedVerbatim(List<String> shellCommand) throws Exception {
        List<String> spinnerArgs = new ArrayList<>(List.of("1", "1", "0"));
        spinnerArgs.addAll(ODD_NAMES);
        try (HotJvm jvm = HotJvm.start(List.of(), Jdks.current(), Spinner.class, List.of("-XX:-UsePerfData"), spinnerArgs)) {
            List<String> cmd = new ArrayList<>(shellCommand);
            cmd.add(script.toString());
            cmd.addAll(List.of("-n", "500", "-i", "200", "-p", Long.toString(jvm.pid())));
            Result r = new Run(cmd).env("TMPDIR", tmp.toString()).without("JAVA_HOME").run(scratch, RUN_LIMIT);
            assertEquals(0, r.exit(), r::toString);
            CrawOutput out = CrawOutput.parse(r.out());
            for (String name : ODD_NAMES) {
                CrawOutput.Ranked ranked = out.named(name);
                assertTrue(ranked.hasJavaFrames(), () -> name + ": " + ranked);
                assertEquals("\"" + name + "\"", ranked.block().getFirst().substring(0, name.length() + 2));
            }
        }
        assertTmpEmpty();
    }

    @ParameterizedTest
    @EnumSource(Shell.class)
    void deepStacksAreCutAtDashDFramesWithACount(Shell shell) throws Exception {
        try (HotJvm jvm = HotJvm.start(List.of(), Jdks.current(), Spinner.class, List.of("-XX:-UsePerfData"), List.of("3", "1", "600"))) {
            Result r = craw(shell, "-n", "500", "-i", "200", "-d", "40", "-p", Long.toString(jvm.pid())).run(scratch, RUN_LIMIT);
            assertEquals(0, r.exit(), r::toString);
            CrawOutput.Ranked idle = CrawOutput.parse(r.out()).named("idle-1");
            assertEquals(40, idle.block().stream().filter(l -> l.startsWith("\tat ")).count(), idle::toString);
            String last = idle.block().getLast();
            Matcher m = Pattern.compile("\t\\.\\.\\. (\\d+) more frames").matcher(last);
            assertTrue(m.matches(), last);
            // 600 frames of parkDeep, plus the frames below and above them.
            assertTrue(Integer.parseInt(m.group(1)) >= 600 - 40, last);
            // Without -d the default (256) applies.
            Result byDefault = craw(shell, "-n", "500", "-i", "200", "-p", Long.toString(jvm.pid())).run(scratch, RUN_LIMIT);
            CrawOutput.Ranked deflt = CrawOutput.parse(byDefault.out()).named("idle-1");
            assertEquals(256, deflt.block().stream().filter(l -> l.startsWith("\tat ")).count());
            // The hot thread's short stack is whole.
            assertTrue(CrawOutput.parse(r.out()).named("hot-spinner").block().stream().noneMatch(l -> l.contains("more frames")));
        }
        assertTmpEmpty();
    }

    @ParameterizedTest
    @EnumSource(Shell.class)
    void sigtermEndsEveryChildAndCleansUp(Shell shell) throws Exception {
        try (HotJvm jvm = HotJvm.start()) {
            String pid = Long.toString(jvm.pid());
            assertEquals(0, craw(shell, "-n", "1", "-i", "100", "-p", pid).run(scratch, RUN_LIMIT).exit());
            CrawScript.signal(jvm.pid(), "STOP");
            try {
                Path out = scratch.resolve("term.out");
                Path err = scratch.resolve("term.err");
                Process p = craw(shell, "-n", "5", "-i", "300", "-p", pid).start(out, err);
                // Wait until the dump tool hangs on the stopped JVM.
                List<ProcessHandle> children = List.of();
                long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
                while (System.nanoTime() < until) {
                    children = p.descendants().toList();
                    if (children.stream().anyMatch(h -> h.info().command().orElse("").endsWith("/jcmd"))) {
                        break;
                    }
                    Thread.sleep(100);
                }
                assertTrue(children.stream().anyMatch(h -> h.info().command().orElse("").endsWith("/jcmd")),
                        "jcmd never started: " + Files.readString(err));
                Thread.sleep(1000);
                children = p.descendants().toList();
                CrawScript.signal(p.pid(), "TERM");
                assertTrue(p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS), "still running 5 s after TERM");
                assertEquals(143, p.exitValue(), () -> read(err));
                assertTrue(read(err).contains("craw: stopped by SIGTERM"), () -> read(err));
                Thread.sleep(300);
                for (ProcessHandle child : children) {
                    assertFalse(child.isAlive(), "left running (or a zombie): " + child.pid() + " " + child.info());
                }
            } finally {
                CrawScript.signal(jvm.pid(), "CONT");
            }
        }
        assertTmpEmpty();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
