package dev.jdd.agent.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.agent.runtime.CappedOutput;
import dev.jdd.agent.runtime.CopyRefusedException;
import dev.jdd.agent.runtime.ExecResult;
import dev.jdd.agent.runtime.Target;
import dev.jdd.testing.HotJvm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalRuntimeTest {
    @TempDir
    Path temp;

    @Test
    void namesAJvmByItsMainClassOrJar() {
        assertEquals(Optional.of("spinner"), LocalRuntime.jvmName(List.of("/usr/lib/jvm/x/bin/java", "-Xmx64m",
                "-XX:+UseSerialGC", "-cp", "/a/b.jar:/c", "dev.jdd.testing.Spinner", "3")));
        assertEquals(Optional.of("orders-service"), LocalRuntime.jvmName(List.of("java", "-Dx=y", "-jar",
                "/opt/app/orders-service.jar", "--port=1")));
        assertEquals(Optional.of("main"), LocalRuntime.jvmName(List.of("java", "--module-path", "mods", "-m",
                "com.acme.app/com.acme.app.Main")));
        assertEquals(Optional.of("app"), LocalRuntime.jvmName(List.of("java", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "--module=com.acme/com.acme.App")));
        assertEquals(Optional.of("hello"), LocalRuntime.jvmName(List.of("java", "Hello.java")));
        assertEquals(Optional.of("checkoutservice"), LocalRuntime.jvmName(List.of("/usr/lib/jvm/x/bin/java",
                "scripts/demo/CheckoutService.java")));
        assertEquals(Optional.empty(), LocalRuntime.jvmName(List.of("/bin/sh", "-c", "java Foo")));
        assertEquals(Optional.empty(), LocalRuntime.jvmName(List.of("java", "-version")));
        assertEquals(Optional.empty(), LocalRuntime.jvmName(List.of()));
    }

    @Test
    void findsARealJvmByNameAndByPid() throws Exception {
        LocalRuntime runtime = new LocalRuntime();
        try (HotJvm jvm = HotJvm.start()) {
            // Others on this machine may run a Spinner too: any of them answers to the name; pid-N is exact.
            Target byName = runtime.find("any", "any", "spinner").orElseThrow();
            assertEquals(Optional.of("spinner"), runtime.jvmName(byName.hostPid()));
            assertEquals("pid-" + byName.hostPid(), byName.id());
            assertEquals(Optional.of("spinner"), runtime.jvmName(jvm.pid()));
            Target byPid = runtime.find("any", "any", "pid-" + jvm.pid()).orElseThrow();
            assertEquals(jvm.pid(), byPid.hostPid());
        }
        assertEquals(Optional.empty(), runtime.find("any", "any", "no-such-jvm-here"));
        try (HotJvm jvm = HotJvm.start()) {
            String detail = runtime.notFound("any", "any", "no-such-jvm-here");
            assertTrue(detail.startsWith("no JVM named no-such-jvm-here on this host"), detail);
            assertTrue(detail.contains("JVMs seen: ") && detail.contains(" (pid "), "at least our spinner: " + detail);
            assertTrue(detail.split("\\(pid ").length - 1 <= 10, "at most 10 named: " + detail);
        }
        assertEquals("no process 999999999 on this host (local runtime: pid-N names process N)",
                runtime.notFound("any", "any", "pid-999999999"));
        assertEquals(Optional.empty(), runtime.find("any", "any", "pid-999999999"));
        assertEquals(Optional.empty(), runtime.find("any", "any", "pid-x"));
    }

    @Test
    void copiesIntoAFreshPrivateFolderAndRemovesIt() throws Exception {
        LocalRuntime runtime = new LocalRuntime(Path.of("/proc"), temp);
        Target self = new Target("pid-1", "x", 1);
        String folder = runtime.copy(self, Map.of("craw.sh", "echo hi\n".getBytes(StandardCharsets.UTF_8)));
        Path script = Path.of(folder, "craw.sh");
        assertTrue(Files.isExecutable(script));
        assertTrue(Path.of(folder).startsWith(temp));
        ExecResult r = runtime.exec(self, List.of("sh", script.toString()), null, Duration.ofSeconds(30));
        assertEquals(0, r.exitCode());
        assertEquals("hi\n", new String(r.stdout(), StandardCharsets.UTF_8));
        assertTrue(runtime.removeFolder(self, folder));
        assertFalse(Files.exists(Path.of(folder)));
        assertTrue(runtime.removeFolder(self, folder), "a folder that is gone is no failure");

        runtime.removeFolder(self, temp.toString());
        assertTrue(Files.exists(temp), "refuses to remove folders it did not make");
    }

    @Test
    void refusesToCopyWhereItCannotWrite() {
        LocalRuntime runtime = new LocalRuntime(Path.of("/proc"), temp.resolve("missing/folder"));
        assertThrows(CopyRefusedException.class,
                () -> runtime.copy(new Target("pid-1", "x", 1), Map.of("craw.sh", new byte[] {1})));
    }

    @Test
    void feedsStdinAndKeepsStderrApart() throws Exception {
        LocalRuntime runtime = new LocalRuntime();
        ExecResult r = runtime.exec(new Target("pid-1", "x", 1), List.of("sh", "-s", "--", "-n", "5"),
                "echo \"args: $*\"; echo oops >&2; exit 3\n".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(30));
        assertEquals(3, r.exitCode());
        assertEquals("args: -n 5\n", new String(r.stdout(), StandardCharsets.UTF_8));
        assertEquals("oops\n", new String(r.stderr(), StandardCharsets.UTF_8));
        assertFalse(r.timedOut());
    }

    @Test
    void stdoutOverTheCapIsCutAndSaysSoAndOneExactlyAtTheCapIsNot() throws Exception {
        LocalRuntime runtime = new LocalRuntime();
        int cap = CappedOutput.DEFAULT_CAP;
        ExecResult atCap = runtime.exec(new Target("pid-1", "x", 1), List.of("sh", "-c", "head -c " + cap + " /dev/zero"),
                null, Duration.ofSeconds(30));
        assertEquals(cap, atCap.stdout().length);
        assertFalse(atCap.stdoutCut());
        ExecResult over = runtime.exec(new Target("pid-1", "x", 1), List.of("sh", "-c", "head -c " + (cap + 1) + " /dev/zero"),
                null, Duration.ofSeconds(30));
        assertEquals(cap, over.stdout().length);
        assertTrue(over.stdoutCut());
    }

    @Test
    void aTimeoutEndsTheWholeProcessTree() throws Exception {
        LocalRuntime runtime = new LocalRuntime();
        Path pids = temp.resolve("pids");
        ExecResult r = runtime.exec(new Target("pid-1", "x", 1), List.of("sh", "-c",
                "sleep 300 & echo $! >> " + pids + "; (sleep 301 & echo $! >> " + pids + "; wait) & echo started; wait"),
                null, Duration.ofSeconds(2));
        assertTrue(r.timedOut());
        assertNull(r.endFailure(), "the whole tree was ended");
        assertEquals(-1, r.exitCode());
        assertEquals("started\n", new String(r.stdout(), StandardCharsets.UTF_8));
        assertAllGone(pids);
    }

    @Test
    void anInterruptEndsTheTreeAndIsReported() throws Exception {
        LocalRuntime runtime = new LocalRuntime();
        Path pids = temp.resolve("pids");
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                runtime.exec(new Target("pid-1", "x", 1), List.of("sh", "-c", "sleep 300 & echo $! >> " + pids + "; wait"),
                        null, Duration.ofSeconds(120));
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!Files.exists(pids) || Files.readString(pids).isBlank()) {
            assertTrue(System.nanoTime() < deadline);
            Thread.sleep(10);
        }
        t.interrupt();
        t.join(Duration.ofSeconds(30));
        assertTrue(thrown.get() instanceof InterruptedException, String.valueOf(thrown.get()));
        assertAllGone(pids);
    }

    private static void assertAllGone(Path pids) throws Exception {
        List<Long> started = Files.readAllLines(pids).stream().filter(s -> !s.isBlank()).map(Long::parseLong).toList();
        assertFalse(started.isEmpty());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        for (long pid : started) {
            while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                assertTrue(System.nanoTime() < deadline, "process " + pid + " still runs");
                Thread.sleep(20);
            }
        }
    }

    @Test
    void foldersOfAgentsThatAreGoneAreRemovedAndOthersStay() throws Exception {
        LocalRuntime runtime = new LocalRuntime(Path.of("/proc"), temp);
        String mine = runtime.copy(new Target("pid-1", "x", 1), Map.of("craw.sh", new byte[] {1}));
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path dead = Files.createDirectories(temp.resolve("jdd-" + gone.pid() + "-123"));
        Files.writeString(dead.resolve("craw.sh"), "echo");
        Path living = Files.createDirectories(temp.resolve("jdd-" + ProcessHandle.current().parent().orElseThrow().pid() + "-7"));
        Path other = Files.createDirectories(temp.resolve("jdd-notours"));
        Path file = Files.writeString(temp.resolve("jdd-" + gone.pid() + "-9"), "a file, not a folder");

        assertEquals(1, runtime.removeLeftovers());
        assertFalse(Files.exists(dead));
        assertTrue(Files.exists(Path.of(mine)), "this agent's own folder stays");
        assertTrue(Files.exists(living), "a living agent's folder stays");
        assertTrue(Files.exists(other));
        assertTrue(Files.exists(file));
        assertTrue(Path.of(mine).getFileName().toString().startsWith("jdd-" + ProcessHandle.current().pid() + "-"));
    }
}
