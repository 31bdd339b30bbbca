package dev.jdd.agent.craw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.agent.craw.CrawOutput.Ranked;
import dev.jdd.agent.craw.CrawScript.Result;
import dev.jdd.agent.craw.CrawScript.Run;
import dev.jdd.agent.craw.CrawScript.Shell;
import dev.jdd.testing.HotJvm;
import dev.jdd.testing.Jdks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The runtime a slim image ships: a jlinked Java without jdk.jcmd (so no jcmd, no jstack) but with what Arthas
 * needs. craw.sh must say it has no tool (exit 4) without Arthas, and fall back to Arthas 4.1.5 with it.
 */
class CrawArthasIT {
    /** Modules Arthas 4.1.5 needs (jdeps of arthas-boot and arthas-core), and no jdk.jcmd. */
    private static final String MODULES = "java.base,java.compiler,java.desktop,java.instrument,java.logging,"
            + "java.management,java.naming,java.sql,java.xml,jdk.attach,jdk.jdi,jdk.jfr,jdk.management,jdk.unsupported";
    private static final Duration RUN_LIMIT = Duration.ofSeconds(60);
    /** Unpacked from com.taobao.arthas:arthas-packaging:4.1.5:zip:bin by the build (process-test-resources). */
    private static final Path ARTHAS = Path.of("target/arthas").toAbsolutePath();

    @TempDir
    static Path shared;
    static Path slimJava;

    @TempDir
    Path scratch;
    Path tmp;

    @BeforeAll
    static void jlinkASlimRuntime() throws Exception {
        assertTrue(Files.isRegularFile(ARTHAS.resolve("arthas-boot.jar")),
                ARTHAS + " is missing: the Maven build unpacks Arthas there (mvn -pl agent -am verify)");
        slimJava = shared.resolve("slim-java");
        Process jlink = new ProcessBuilder(Jdks.current().resolve("bin/jlink").toString(), "--add-modules", MODULES,
                "--strip-debug", "--no-man-pages", "--no-header-files", "--generate-cds-archive",
                "--output", slimJava.toString()).redirectErrorStream(true).start();
        String log = new String(jlink.getInputStream().readAllBytes());
        assertTrue(jlink.waitFor(180, TimeUnit.SECONDS), "jlink too slow");
        assertEquals(0, jlink.exitValue(), log);
        assertFalse(Files.exists(slimJava.resolve("bin/jcmd")));
        assertFalse(Files.exists(slimJava.resolve("bin/jstack")));
    }

    @BeforeEach
    void freshTmp() throws IOException {
        tmp = Files.createTempDirectory(scratch, "tmpdir");
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    }

    private Run craw(Path script, Shell shell, String... args) {
        List<String> cmd = new ArrayList<>(shell.command());
        cmd.add(script.toString());
        cmd.addAll(List.of(args));
        // Nothing on PATH or JAVA_HOME has jcmd: busybox applets only.
        return new Run(cmd).env("PATH", Shell.BUSYBOX.path(scratch)).env("TMPDIR", tmp.toString())
                .without("JAVA_HOME");
    }

    private Path scriptWithArthas() throws IOException {
        Path script = CrawScript.copyInto(scratch.resolve("with-arthas"));
        Files.createSymbolicLink(script.resolveSibling("arthas"), ARTHAS);
        return script;
    }

    private void assertTmpEmpty() throws IOException {
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList(), "craw.sh left files in its TMPDIR");
        }
    }

    @ParameterizedTest
    @EnumSource(Shell.class)
    void withoutJcmdJstackOrArthasItExits4(Shell shell) throws Exception {
        Path script = CrawScript.copyInto(scratch.resolve("plain"));
        try (HotJvm jvm = HotJvm.start(slimJava, 3, List.of())) {
            String pid = Long.toString(jvm.pid());
            for (String engine : List.of("auto", "jcmd", "jstack", "arthas")) {
                Result r = craw(script, shell, "-e", engine, "-i", "200", "-p", pid).run(scratch, RUN_LIMIT);
                assertEquals(4, r.exit(), () -> engine + ": " + r);
                assertEquals("", r.out());
                assertEquals(1, r.errLines().size(), () -> engine + ": " + r);
            }
            Result auto = craw(script, shell, "-i", "200", "-p", pid).run(scratch, RUN_LIMIT);
            assertTrue(auto.err().startsWith("craw: no jcmd or jstack (looked beside the JVM's java in "
                    + slimJava.resolve("bin")), auto::toString);
        }
        assertTmpEmpty();
    }

    @Test
    void autoFallsBackToArthasAndLeavesNoPortOpen() throws Exception {
        Path script = scriptWithArthas();
        Path home = Files.createDirectories(scratch.resolve("target-home"));
        try (HotJvm jvm = HotJvm.start(slimJava, 3, List.of("-Duser.home=" + home))) {
            Result r = craw(script, Shell.BUSYBOX, "-n", "50", "-i", "1500", "-p", Long.toString(jvm.pid()))
                    .run(scratch, RUN_LIMIT);
            assertEquals(0, r.exit(), r::toString);
            CrawOutput out = CrawOutput.parse(r.out());
            assertEquals("arthas", out.header().get("engine"));
            assertHotSpinnerWithStack(out, "nid=" + out.ranked().getFirst().tid() + " ");
            assertFalse(r.out().contains("\u001b"), "colour codes in the output");
            assertFalse(r.out().contains("arthas@"), "Arthas prompt in the output");
            assertEquals(Set.of(), listeningSockets(jvm.pid()), "Arthas left a port open in the target");
        }
        assertTmpEmpty();
        // Arthas' log goes to the temporary folder. What Arthas writes to fixed places in the target user's home,
        // whatever its settings, is exactly this (see docs/craw.md): its agent's start lines and its command history.
        try (Stream<Path> left = Files.walk(home)) {
            assertEquals(List.of(home, home.resolve(".arthas"), home.resolve(".arthas/history"), home.resolve("logs"),
                    home.resolve("logs/arthas"), home.resolve("logs/arthas/arthas.log")), left.sorted().toList());
        }
        for (String line : Files.readAllLines(home.resolve("logs/arthas/arthas.log"))) {
            assertTrue(line.startsWith("Arthas server"), line);
        }
    }

    @Test
    void arthasEngineOnJdk17MatchesHexNativeIds() throws Exception {
        Path script = scriptWithArthas();
        Path home = Files.createDirectories(scratch.resolve("target-home"));
        try (HotJvm jvm = HotJvm.start(Jdks.require(17), 3, List.of("-XX:-UsePerfData", "-Duser.home=" + home))) {
            Result r = craw(script, Shell.DASH, "-e", "arthas", "-n", "50", "-i", "1000", "-p", Long.toString(jvm.pid()))
                    .env("PATH", Shell.DASH.path(scratch)).run(scratch, RUN_LIMIT);
            assertEquals(0, r.exit(), r::toString);
            CrawOutput out = CrawOutput.parse(r.out());
            assertEquals("arthas", out.header().get("engine"));
            assertHotSpinnerWithStack(out, "nid=0x" + Long.toHexString(out.ranked().getFirst().tid()) + " ");
            assertEquals(Set.of(), listeningSockets(jvm.pid()), "Arthas left a port open in the target");
        }
        assertTmpEmpty();
    }

    private static void assertHotSpinnerWithStack(CrawOutput out, String nid) {
        Ranked hot = out.ranked().getFirst();
        assertEquals("hot-spinner", hot.name(), out::toString);
        assertEquals("RUNNABLE", hot.state());
        assertTrue(hot.cpu() > 10.0, "cpu " + hot.cpu());
        assertTrue(hot.block().getFirst().contains(nid), nid + " not in " + hot.block());
        assertTrue(hot.block().stream().anyMatch(l -> l.contains("at dev.jdd.testing.Spinner.spin(")),
                hot.block()::toString);
        Ranked idle = out.named("idle-1");
        assertTrue(idle.rank() > 1 && idle.cpu() <= 5.0, idle::toString);
    }

    /** Inodes of the TCP sockets process {@code pid} listens on. */
    static Set<String> listeningSockets(long pid) throws IOException {
        Set<String> listening = new HashSet<>();
        for (String table : List.of("tcp", "tcp6")) {
            Path file = Path.of("/proc", Long.toString(pid), "net", table);
            if (!Files.exists(file)) {
                continue;
            }
            for (String line : Files.readAllLines(file).subList(1, Files.readAllLines(file).size())) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && f[3].equals("0A")) {
                    listening.add(f[9]);
                }
            }
        }
        Set<String> own = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String link = Files.readSymbolicLink(fd).toString();
                    if (link.startsWith("socket:[")) {
                        String inode = link.substring(8, link.length() - 1);
                        if (listening.contains(inode)) {
                            own.add(inode);
                        }
                    }
                } catch (IOException gone) {
                    // the descriptor closed meanwhile
                }
            }
        }
        return own;
    }
}
