package dev.jdd.agent.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.agent.runtime.CopyRefusedException;
import dev.jdd.agent.runtime.ExecResult;
import dev.jdd.agent.runtime.RuntimeUnavailableException;
import dev.jdd.agent.runtime.Target;
import dev.jdd.testing.RequiresDocker;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link DockerRuntime} against the real engine, with kubelet-labelled pods built from local files. */
@RequiresDocker
public class DockerRuntimeIT {
    private static final URI HOST = DockerFixture.HOST;
    @RegisterExtension
    static final DockerFixture fixture = new DockerFixture();
    private static TestPods.Pod spinner;

    @BeforeAll
    static void startPods() {
        spinner = fixture.pods().startReady(TestPods.App.spinner("spinner").withCommand(TestPods.spinnerCommand(3, 0)));
    }

    @Test
    void findsTheAppContainerNeverTheSandboxAndReportsItsHostPid() throws IOException {
        // A sandbox that wrongly carries the app's container name must still never be picked.
        fixture.pods().startDecoySandbox(spinner.namespace(), spinner.pod(), spinner.container());

        Target target = fixture.runtime().find(spinner.namespace(), spinner.pod(), spinner.container()).orElseThrow();

        assertEquals(spinner.appId(), target.id());
        assertTrue(target.name().contains("k8s_app_spinner_"), target.name());
        long inspected = fixture.docker().inspectContainerCmd(spinner.appId()).exec().getState().getPidLong();
        assertEquals(inspected, target.hostPid());
        String cmdline = Files.readString(Path.of("/proc/" + target.hostPid() + "/cmdline")).replace('\0', ' ');
        assertTrue(cmdline.contains("dev.jdd.testing.Spinner"), cmdline);

        assertEquals(Optional.empty(), fixture.runtime().find(spinner.namespace(), spinner.pod(), "POD".toLowerCase()));
        assertEquals(Optional.empty(), fixture.runtime().find(spinner.namespace(), "no-such-pod", spinner.container()));
    }

    @Test
    void aStoppedAppContainerIsNotFoundEvenWhileItsSandboxRuns() {
        TestPods.Pod pod = fixture.pods().start(TestPods.App.spinner("stopped").withCommand(List.of("sleep", "600")));
        assertTrue(fixture.runtime().find(pod.namespace(), pod.pod(), pod.container()).isPresent());

        fixture.docker().killContainerCmd(pod.appId()).exec();

        assertEquals(Optional.empty(), fixture.runtime().find(pod.namespace(), pod.pod(), pod.container()));
        assertTrue(fixture.docker().inspectContainerCmd(pod.sandboxId()).exec().getState().getRunning());
    }

    @Test
    void hostileNamesMissCleanly() {
        for (String evil : List.of("a=b", "x\",\"y", "ns\nio.kubernetes.pod.name=spinner", "../../etc", "*", "",
                spinner.namespace() + "\u0000", "{\"label\":[\"x\"]}")) {
            assertEquals(Optional.empty(), fixture.runtime().find(evil, spinner.pod(), spinner.container()), evil);
            assertEquals(Optional.empty(), fixture.runtime().find(spinner.namespace(), evil, spinner.container()), evil);
            assertEquals(Optional.empty(), fixture.runtime().find(spinner.namespace(), spinner.pod(), evil), evil);
        }
    }

    @Test
    void copiesIntoAFreshFolderAndExecSeparatesStdoutFromStderr() throws Exception {
        Target target = fixture.runtime().find(spinner.namespace(), spinner.pod(), spinner.container()).orElseThrow();
        String script = "echo \"out $1\"\necho err >&2\nls -ld \"$(dirname \"$0\")\" \"$0\" >&2\nexit 3\n";

        String folder = fixture.runtime().copy(target, Map.of("hello.sh", bytes(script), "data.txt", bytes("x")));
        String second = fixture.runtime().copy(target, Map.of("hello.sh", bytes(script)));

        assertTrue(folder.matches("/tmp/\\.jdd-[0-9a-f]{16}"), folder);
        assertFalse(folder.equals(second));
        ExecResult r = fixture.runtime().exec(target, List.of("sh", folder + "/hello.sh", "arg"), null, Duration.ofSeconds(30));
        assertEquals(3, r.exitCode());
        assertFalse(r.timedOut());
        assertEquals("out arg\n", text(r.stdout()));
        String err = text(r.stderr());
        assertTrue(err.startsWith("err\n"), err);
        assertTrue(err.contains("drwxr-xr-x") && err.contains("-rwxr-xr-x"), err);

        assertTrue(fixture.runtime().removeFolder(target, folder), "removed");
        assertTrue(fixture.runtime().removeFolder(target, second), "removed");
        ExecResult gone = fixture.runtime().exec(target, List.of("ls", "-a", "/tmp"), null, Duration.ofSeconds(30));
        assertFalse(text(gone.stdout()).contains(".jdd-"), text(gone.stdout()));
    }

    @Test
    void aLargeCopyArrivesWhole() throws Exception {
        // docker-java's zerodep transport once cut long streamed bodies short (image imports); the copy is a byte array.
        Target target = fixture.runtime().find(spinner.namespace(), spinner.pod(), spinner.container()).orElseThrow();
        byte[] big = new byte[4 * 1024 * 1024 + 17];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) ('a' + i % 26);
        }
        String folder = fixture.runtime().copy(target, Map.of("big", big));
        try {
            ExecResult r = fixture.runtime().exec(target, List.of("wc", "-c", folder + "/big"), null, Duration.ofSeconds(30));
            assertTrue(text(r.stdout()).strip().startsWith(big.length + " "), text(r.stdout()));
        } finally {
            fixture.runtime().removeFolder(target, folder);
        }
    }

    @Test
    void aClosedRuntimeStillRemovesWhatItCopied() throws Exception {
        // The agent closes its runtime while stopping; the folders of the last captures must still go.
        DockerRuntime closing = new DockerRuntime(HOST);
        Target target = closing.find(spinner.namespace(), spinner.pod(), spinner.container()).orElseThrow();
        String folder = closing.copy(target, Map.of("craw.sh", bytes("true\n")));

        closing.close();
        closing.removeFolder(target, folder);

        ExecResult r = fixture.runtime().exec(target, List.of("ls", "-a", "/tmp"), null, Duration.ofSeconds(30));
        assertFalse(text(r.stdout()).contains(folder.substring("/tmp/".length())), text(r.stdout()));
    }

    @Test
    void removeTouchesOnlyFoldersThatCopyMade() throws Exception {
        Target target = fixture.runtime().find(spinner.namespace(), spinner.pod(), spinner.container()).orElseThrow();
        fixture.runtime().exec(target, List.of("mkdir", "-p", "/tmp/.jdd-0123456789abcdef", "/tmp/keep"), null, Duration.ofSeconds(30));

        fixture.runtime().removeFolder(target, "/tmp/.jdd-0123456789abcdef");
        fixture.runtime().removeFolder(target, "/tmp/keep");
        fixture.runtime().removeFolder(target, "/");

        ExecResult r = fixture.runtime().exec(target, List.of("ls", "-a", "/tmp"), null, Duration.ofSeconds(30));
        assertTrue(text(r.stdout()).contains(".jdd-0123456789abcdef"), text(r.stdout()));
        assertTrue(text(r.stdout()).contains("keep"), text(r.stdout()));
    }

    @Test
    void aNonRootContainerOwnsItsCopiedFolderAndRunsTheScriptAsItsUser() throws Exception {
        TestPods.Pod pod = fixture.pods().start(TestPods.App.spinner("nonroot").withUser("1000:1000")
                .withCommand(List.of("sleep", "600")));
        Target target = fixture.runtime().find(pod.namespace(), pod.pod(), pod.container()).orElseThrow();

        String folder = fixture.runtime().copy(target, Map.of("who.sh", bytes("id -u\nstat -c %u \"$(dirname \"$0\")\"\n"
                + "echo written > \"$(dirname \"$0\")/own-file\" && echo wrote\n")));
        ExecResult r = fixture.runtime().exec(target, List.of("sh", folder + "/who.sh"), null, Duration.ofSeconds(30));

        assertEquals("1000\n1000\nwrote\n", text(r.stdout()), text(r.stderr()));
        fixture.runtime().removeFolder(target, folder);
        ExecResult after = fixture.runtime().exec(target, List.of("ls", "-a", "/tmp"), null, Duration.ofSeconds(30));
        assertFalse(text(after.stdout()).contains(".jdd-"), text(after.stdout()));
    }

    @Test
    void aReadOnlyRootFilesystemRefusesTheCopyAndTheScriptRunsFromStdin() throws Exception {
        TestPods.Pod pod = fixture.pods().start(TestPods.App.spinner("readonly").readOnlyWithoutTmp()
                .withCommand(List.of("sleep", "600")));
        Target target = fixture.runtime().find(pod.namespace(), pod.pod(), pod.container()).orElseThrow();

        CopyRefusedException refused = assertThrows(CopyRefusedException.class,
                () -> fixture.runtime().copy(target, Map.of("craw.sh", bytes("echo hi\n"))));
        assertTrue(refused.getMessage().contains("read-only"), refused.getMessage());

        // Many lines, no final newline, a line with a backslash and leading blanks: all must arrive intact.
        StringBuilder script = new StringBuilder("count=0\n");
        for (int i = 0; i < 3000; i++) {
            script.append("  count=$((count+1))\n");
        }
        script.append("printf '%s\\n' 'back\\slash'\necho \"args $1 $2 count $count\"\necho diag >&2\nexit 4");
        ExecResult r = fixture.runtime().exec(target, List.of("sh", "-s", "--", "one", "two"), bytes(script.toString()),
                Duration.ofSeconds(60));

        assertEquals(4, r.exitCode(), text(r.stderr()));
        assertEquals("back\\slash\nargs one two count 3000\n", text(r.stdout()));
        assertEquals("diag\n", text(r.stderr()));
        assertFalse(r.timedOut());
    }

    @Test
    void stdinEndsSoACommandReadingToTheEndFinishes() throws Exception {
        Target target = fixture.runtime().find(spinner.namespace(), spinner.pod(), spinner.container()).orElseThrow();

        ExecResult r = fixture.runtime().exec(target, List.of("wc", "-l"), bytes("a\nb\nc\n"), Duration.ofSeconds(30));

        assertFalse(r.timedOut(), "stdin never reached end-of-file");
        assertEquals("3", text(r.stdout()).strip());
    }

    @Test
    void aContainerThatExitsMidExecEndsTheExecWithTheReason() throws Exception {
        TestPods.Pod pod = fixture.pods().start(TestPods.App.spinner("exits").withCommand(List.of("sleep", "600")));
        Target target = fixture.runtime().find(pod.namespace(), pod.pod(), pod.container()).orElseThrow();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            long start = System.nanoTime();
            Future<ExecResult> exec = pool.submit(() -> fixture.runtime().exec(target, List.of("sleep", "300"), null, Duration.ofSeconds(120)));
            awaitProcess(pod.appId(), "sleep 300");

            fixture.docker().killContainerCmd(pod.appId()).exec();

            var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> exec.get(60, java.util.concurrent.TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof RuntimeUnavailableException, String.valueOf(e.getCause()));
            assertTrue(e.getCause().getMessage().contains("stopped during the exec"), e.getCause().getMessage());
            assertTrue(Duration.ofNanos(System.nanoTime() - start).toSeconds() < 100, "waited for the timeout");
        } finally {
            pool.shutdownNow();
        }
        assertThrows(RuntimeUnavailableException.class,
                () -> fixture.runtime().exec(target, List.of("true"), null, Duration.ofSeconds(10)));
    }

    @Test
    void execTimeoutEndsEveryProcessOfTheCommandEvenOnesIgnoringTermAndOrphans() throws Exception {
        TestPods.Pod pod = fixture.pods().start(TestPods.App.spinner("timeout").withCommand(List.of("sleep", "600")));
        Target target = fixture.runtime().find(pod.namespace(), pod.pod(), pod.container()).orElseThrow();
        // TERM is ignored (and inherited as ignored); one sleep is orphaned to the container's PID 1.
        String hog = "trap '' TERM; echo started; (sleep 3131 &); sleep 3132 & sh -c 'sleep 3133' & sleep 3134; wait";

        long start = System.nanoTime();
        ExecResult r = fixture.runtime().exec(target, List.of("sh", "-c", hog), null, Duration.ofSeconds(3));
        long seconds = Duration.ofNanos(System.nanoTime() - start).toSeconds();

        assertTrue(r.timedOut());
        assertNull(r.endFailure(), "every process of it was ended");
        assertEquals(-1, r.exitCode());
        assertEquals("started\n", text(r.stdout()));
        assertTrue(seconds < 30, "took " + seconds + " s");
        assertNoneLeft(pod, target, "sleep 313");
        assertTrue(fixture.docker().inspectContainerCmd(pod.appId()).exec().getState().getRunning(), "the container must live on");
    }

    @Test
    void anInterruptedExecEndsItsProcessesAndThrows() throws Exception {
        TestPods.Pod pod = fixture.pods().start(TestPods.App.spinner("interrupt").withCommand(List.of("sleep", "600")));
        Target target = fixture.runtime().find(pod.namespace(), pod.pod(), pod.container()).orElseThrow();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            try {
                fixture.runtime().exec(target, List.of("sh", "-c", "sleep 4141 & sleep 4142; wait"), null, Duration.ofSeconds(120));
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        caller.start();
        awaitProcess(pod.appId(), "sleep 4142");

        caller.interrupt();
        caller.join(60_000);

        assertFalse(caller.isAlive());
        assertTrue(thrown.get() instanceof InterruptedException, String.valueOf(thrown.get()));
        assertNoneLeft(pod, target, "sleep 414");
    }

    @Test
    void concurrentExecsOnSeveralContainersKeepTheirOutputsApart() throws Exception {
        List<Target> targets = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            TestPods.Pod pod = fixture.pods().start(TestPods.App.spinner("many-" + i).withCommand(List.of("sleep", "600")));
            targets.add(fixture.runtime().find(pod.namespace(), pod.pod(), pod.container()).orElseThrow());
        }
        ExecutorService pool = Executors.newFixedThreadPool(12);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                Target t = targets.get(i % 3);
                int n = i;
                results.add(pool.submit(() -> {
                    ExecResult r = fixture.runtime().exec(t, List.of("sh", "-c", "sleep 0.3; echo \"$1\"; echo \"e$1\" >&2", "x", "n" + n),
                            null, Duration.ofSeconds(120));
                    return text(r.stdout()) + "|" + text(r.stderr());
                }));
            }
            for (int i = 0; i < results.size(); i++) {
                assertEquals("n" + i + "\n|en" + i + "\n", results.get(i).get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aShellLessJreOnlyContainerAnswersExecWithTheEnginesReasonInsteadOfHanging() throws Exception {
        // The JRE-only, shell-less, non-root image that the node engine (issue 6) targets.
        String image = TestImages.jvm(fixture.docker(), HOST, TestImages.Spec.jreOnly());
        TestPods.Pod pod = fixture.pods().startReady(TestPods.App.spinner("jre-only").withImage(image).withUser("1000:1000"));
        Target target = fixture.runtime().find(pod.namespace(), pod.pod(), pod.container()).orElseThrow();

        ExecResult r = fixture.runtime().exec(target, List.of("sh", "/nonexistent/craw.sh"), null, Duration.ofSeconds(30));

        assertFalse(r.timedOut());
        assertTrue(r.exitCode() == 126 || r.exitCode() == 127, r.exitCode() + " " + text(r.stdout()) + text(r.stderr()));
        assertTrue(text(r.stderr()).startsWith("jdd: the container has no usable sh"), text(r.stdout()) + "|" + text(r.stderr()));
        String folder = fixture.runtime().copy(target, Map.of("craw.sh", bytes("echo\n")));
        assertTrue(folder.startsWith("/tmp/.jdd-"), folder);
        assertTrue(fixture.pods().processes(pod.appId()).stream().anyMatch(p -> p.contains("dev.jdd.testing.Spinner")));
    }

    @Test
    void anUnreachableEngineIsUnavailableWithTheReason() {
        try (DockerRuntime nowhere = new DockerRuntime(URI.create("unix:///tmp/" + TestPods.RUN + "-no-engine.sock"))) {
            RuntimeUnavailableException e = assertThrows(RuntimeUnavailableException.class, () -> nowhere.find("a", "b", "c"));
            assertTrue(e.getMessage().contains("no-engine.sock"), e.getMessage());
            Target ghost = new Target("0123456789ab", "ghost", 0);
            assertThrows(RuntimeUnavailableException.class, () -> nowhere.exec(ghost, List.of("true"), null, Duration.ofSeconds(5)));
            assertThrows(RuntimeUnavailableException.class, () -> nowhere.copy(ghost, Map.of("a", bytes("b"))));
        }
    }

    /** Checks from the host, through the engine ({@code docker top}) and through the host's /proc. */
    private static void assertNoneLeft(TestPods.Pod pod, Target target, String marker) throws IOException {
        List<String> inContainer = fixture.pods().processes(pod.appId()).stream().filter(p -> p.contains(marker)).toList();
        assertEquals(List.of(), inContainer, "docker top still lists the command's processes");
        assertEquals(List.of(), hostProcesses(marker), "the host still runs the command's processes");
    }

    public static List<String> hostProcesses(String marker) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmd = Files.readString(p.resolve("cmdline")).replace('\0', ' ');
                    String stat = Files.readString(p.resolve("stat"));
                    boolean zombie = stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
                    if (cmd.contains(marker) && !zombie) {
                        found.add(p.getFileName() + " " + cmd);
                    }
                } catch (IOException e) {
                    // gone meanwhile
                }
            }
        }
        return found;
    }

    private static void awaitProcess(String containerId, String marker) {
        for (int i = 0; i < 300; i++) {
            if (fixture.pods().processes(containerId).stream().anyMatch(p -> p.contains(marker))) {
                return;
            }
            TestPods.sleep(100);
        }
        throw new IllegalStateException(marker + " never started in " + containerId);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
