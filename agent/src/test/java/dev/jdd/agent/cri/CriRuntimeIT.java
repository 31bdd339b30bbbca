package dev.jdd.agent.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.agent.RuntimeChoice;
import dev.jdd.agent.docker.DockerFixture;
import dev.jdd.agent.docker.DockerRuntimeIT;
import dev.jdd.agent.docker.TestPods;
import dev.jdd.agent.runtime.ContainerRuntime;
import dev.jdd.agent.runtime.ExecResult;
import dev.jdd.agent.runtime.RuntimeUnavailableException;
import dev.jdd.agent.runtime.Target;
import dev.jdd.common.ConfigException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link CriRuntime} against a real containerd: find, exec, timeouts seen from the host, restarts, runtime choice. */
@RequiresContainerd
class CriRuntimeIT {
    private static PrivateContainerd containerd;
    private static CriRuntime runtime;

    @TempDir
    Path dir;

    @BeforeAll
    static void connect() {
        containerd = RequiresContainerd.Condition.containerd();
        runtime = CriRuntime.connect(containerd.endpoint(), Duration.ofSeconds(10));
    }

    @AfterAll
    static void close() {
        if (runtime != null) {
            runtime.close();
        }
    }

    private static PrivateContainerd.Pod sleeper(String name) {
        return containerd.start(TestPods.App.spinner(name).withCommand(List.of("sleep", "600")));
    }

    @Test
    void findsTheRunningAppContainerWithItsHostPidAndNothingForOtherNames() throws Exception {
        PrivateContainerd.Pod pod = sleeper("find");

        Target target = runtime.find(pod.namespace(), pod.pod(), pod.container()).orElseThrow();

        assertEquals(pod.appId(), target.id());
        Path cmdlineFile = Path.of("/proc", Long.toString(target.hostPid()), "cmdline");
        String cmdline = "";
        for (int i = 0; i < 100 && !cmdline.startsWith("sleep 600"); i++) {
            Thread.sleep(50); // runc init becomes the container's command a moment after StartContainer returns
            cmdline = Files.readString(cmdlineFile).replace('\0', ' ');
        }
        assertTrue(cmdline.startsWith("sleep 600"), cmdline);
        assertTrue(runtime.find(pod.namespace(), pod.pod(), "other").isEmpty());
        assertTrue(runtime.find(pod.namespace(), "other", pod.container()).isEmpty());
        assertTrue(runtime.find("other", pod.pod(), pod.container()).isEmpty());
        containerd.stopContainer(pod);
        assertTrue(runtime.find(pod.namespace(), pod.pod(), pod.container()).isEmpty(), "a stopped container is not found");
    }

    @Test
    void theScriptGoesInAsTheShellArgumentOnAReadOnlyRootAndExecSeparatesTheStreams() throws Exception {
        PrivateContainerd.Pod pod = containerd.start(TestPods.App.spinner("ro").withCommand(List.of("sleep", "600"))
                .readOnlyWithoutTmp().withUser("1000:1000"));
        Target target = runtime.find(pod.namespace(), pod.pod(), pod.container()).orElseThrow();
        byte[] script = "echo \"out $# $1 $2 $(id -u)\"; echo err >&2; exit 3".getBytes(StandardCharsets.UTF_8);

        ExecResult r = runtime.exec(target, List.of("sh", "-s", "--", "-n", "5"), script, Duration.ofSeconds(30));

        assertEquals(3, r.exitCode());
        assertEquals("out 2 -n 5 1000\n", new String(r.stdout(), StandardCharsets.UTF_8));
        assertEquals("err\n", new String(r.stderr(), StandardCharsets.UTF_8));
        assertFalse(r.timedOut());
        assertThrows(IllegalArgumentException.class, () -> runtime.exec(target, List.of("cat"), script, Duration.ofSeconds(5)));
    }

    @Test
    void aTimeoutEndsEveryProcessTheCommandStartedEvenOnesIgnoringTermAndOrphans() throws Exception {
        PrivateContainerd.Pod pod = sleeper("timeout");
        Target target = runtime.find(pod.namespace(), pod.pod(), pod.container()).orElseThrow();
        String hog = "trap '' TERM; (sleep 5151 &); sleep 5152 & sh -c 'sleep 5153' & sleep 5154; wait";

        long start = System.nanoTime();
        ExecResult r = runtime.exec(target, List.of("sh", "-c", hog), null, Duration.ofSeconds(3));
        long seconds = Duration.ofNanos(System.nanoTime() - start).toSeconds();

        assertTrue(r.timedOut());
        assertNull(r.endFailure(), "every process of it was ended");
        assertEquals(-1, r.exitCode());
        assertTrue(seconds < 15, "took " + seconds + " s");
        assertEquals(List.of(), DockerRuntimeIT.hostProcesses("sleep 515"), "the host still runs the command's processes");
        assertTrue(runtime.find(pod.namespace(), pod.pod(), pod.container()).isPresent(), "the container lives on");
    }

    @Test
    void anInterruptedExecEndsItsProcessesAndThrows() throws Exception {
        PrivateContainerd.Pod pod = sleeper("interrupt");
        Target target = runtime.find(pod.namespace(), pod.pod(), pod.container()).orElseThrow();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            try {
                runtime.exec(target, List.of("sh", "-c", "sleep 6161 & sleep 6162; wait"), null, Duration.ofSeconds(120));
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        caller.start();
        awaitHostProcess("sleep 6162");

        caller.interrupt();
        caller.join(60_000);

        assertFalse(caller.isAlive());
        assertTrue(thrown.get() instanceof InterruptedException, String.valueOf(thrown.get()));
        assertEquals(List.of(), DockerRuntimeIT.hostProcesses("sleep 616"));
    }

    @Test
    void aContainerThatExitsMidExecEndsTheExecWithTheReason() throws Exception {
        PrivateContainerd.Pod pod = sleeper("exits");
        Target target = runtime.find(pod.namespace(), pod.pod(), pod.container()).orElseThrow();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<ExecResult> exec = pool.submit(() -> runtime.exec(target, List.of("sleep", "7171"), null, Duration.ofSeconds(120)));
            awaitHostProcess("sleep 7171");

            containerd.stopContainer(pod);

            ExecutionException e = assertThrows(ExecutionException.class, () -> exec.get(60, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof RuntimeUnavailableException, String.valueOf(e.getCause()));
            assertTrue(e.getCause().getMessage().contains("stopped during the exec")
                    || e.getCause().getMessage().contains("is gone"), e.getCause().getMessage());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aShellLessContainerAnswersLikeAShellThatIsMissing() throws Exception {
        PrivateContainerd.Pod pod = containerd.startReady(TestPods.App.spinner("jre").withImage(containerd.jreOnlyImage()));
        Target target = runtime.find(pod.namespace(), pod.pod(), pod.container()).orElseThrow();

        ExecResult r = runtime.exec(target, List.of("sh", "-s", "--"), "true".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(30));

        assertEquals(127, r.exitCode(), new String(r.stderr(), StandardCharsets.UTF_8));
        assertEquals(0, r.stdout().length);
    }

    @Test
    void aRestartedContainerdIsReachedAgainWithoutANewRuntime() throws Exception {
        PrivateContainerd.Pod pod = sleeper("restart");
        assertTrue(runtime.find(pod.namespace(), pod.pod(), pod.container()).isPresent());

        containerd.stop();
        try {
            RuntimeUnavailableException e = assertThrows(RuntimeUnavailableException.class,
                    () -> runtime.find(pod.namespace(), pod.pod(), pod.container()));
            assertTrue(e.getMessage().contains(containerd.endpoint()), e.getMessage());
        } finally {
            containerd.startProcess();
        }

        Target again = runtime.find(pod.namespace(), pod.pod(), pod.container()).orElseThrow();
        ExecResult r = runtime.exec(again, List.of("echo", "back"), null, Duration.ofSeconds(30));
        assertEquals("back\n", new String(r.stdout(), StandardCharsets.UTF_8));
    }

    @Test
    void autoPicksTheCriSocketWhenDockerAnswersToo() {
        String dead = "unix://" + dir.resolve("dead.sock");
        try (ContainerRuntime auto = RuntimeChoice.open("auto", null, DockerFixture.HOST.toString(),
                List.of(dead, containerd.endpoint()))) {
            assertTrue(auto.name().startsWith("containerd "), auto.name());
        }
        try (ContainerRuntime fallback = RuntimeChoice.open("auto", null, DockerFixture.HOST.toString(), List.of(dead))) {
            assertEquals("docker", fallback.name());
        }
        ConfigException e = assertThrows(ConfigException.class,
                () -> RuntimeChoice.open("cri", null, DockerFixture.HOST.toString(), List.of(dead)));
        assertTrue(e.getMessage().contains(dead), e.getMessage());
        try (ContainerRuntime cri = RuntimeChoice.open("cri", containerd.endpoint(), DockerFixture.HOST.toString(), List.of(dead))) {
            assertTrue(cri.name().startsWith("containerd "), cri.name());
        }
    }

    private static void awaitHostProcess(String marker) throws Exception {
        for (int i = 0; i < 300; i++) {
            if (!DockerRuntimeIT.hostProcesses(marker).isEmpty()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(marker + " never started");
    }
}
