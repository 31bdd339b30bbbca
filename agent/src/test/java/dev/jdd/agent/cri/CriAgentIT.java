package dev.jdd.agent.cri;

import static dev.jdd.agent.docker.TestPods.App.splitSpinner;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.agent.docker.AgentApiCaller;
import dev.jdd.agent.docker.AgentProcess;
import dev.jdd.agent.docker.TestImages;
import dev.jdd.agent.docker.TestPods;
import dev.jdd.agent.profile.ProfileChecks;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent end to end on containerd's CRI: the real agent process ({@code --runtime=cri}), its HTTP API on
 * loopback, a real containerd with kubelet-made pods whose JVM has a really hot thread, and the dump files on disk.
 * Two agents: one with {@code --engine=script} (craw.sh through {@code ExecSync}), one as shipped ({@code auto}: the
 * node engine, as this host's root sees the pods' processes).
 * With {@code --profile=cpu}, images with the Flight Recorder are profiled from the node with the same checks as on
 * Docker ({@link ProfileChecks}).
 */
@RequiresContainerd
class CriAgentIT {
    static final String TOKEN = "cri-token-" + TestPods.RUN;

    @TempDir
    static Path work;
    private static PrivateContainerd containerd;
    /** An agent with {@code --engine=script}: craw.sh through CRI's ExecSync. */
    private static Running script;
    /** An agent as shipped ({@code --engine=auto}): the node engine wherever it reaches the JVM. */
    private static Running auto;

    private record Running(AgentProcess process, AgentApiCaller api, Path dumps) {
        static Running start(String name, List<String> more) throws Exception {
            Path dumps = work.resolve(name + "-stacks");
            List<String> flags = new java.util.ArrayList<>(List.of("--token=" + TOKEN, "--runtime=cri",
                    "--runtime-endpoint=" + containerd.endpoint(), "--dump-dir=" + dumps, "--node=cri-node", "--interval=5s",
                    "--threads=20", "--exec-timeout=60s", "--profile=cpu"));
            flags.addAll(more);
            AgentProcess process = AgentProcess.start(flags, work.resolve(name + ".log"));
            return new Running(process, new AgentApiCaller(process::uri, TOKEN), dumps);
        }

        Map<String, String> capture(PrivateContainerd.Pod pod, String expectedOutcome) throws Exception {
            AgentApiCaller.Answer answer = api.capture(pod.namespace(), pod.pod(), pod.container());
            assertEquals(202, answer.status(), answer.body().toString());
            String id = answer.captureId();
            Map<String, Object> listed = api.awaitFinished(pod.namespace(), pod.pod(), id, Duration.ofMinutes(2));
            String dump = api.dump(id);
            assertEquals(expectedOutcome, listed.get("outcome"), dump);
            Map<String, String> header = new java.util.HashMap<>(AgentApiCaller.header(dump));
            header.put("dump", dump);
            assertEquals(dump, Files.readString(AgentApiCaller.dumpFile(dumps, pod.namespace(), pod.pod(), pod.container(), id)));
            return header;
        }

        void close() {
            process.close();
            System.err.println("--- agent log ---\n" + process.logText());
        }
    }

    @BeforeAll
    static void start() throws Exception {
        containerd = RequiresContainerd.Condition.containerd();
        // 5 s as in ProfileDockerIT: JFR's first start in a JVM takes 1-2 s here, and a profile of 70/30 needs the
        // seconds after it (about 20 samples a second on this shared machine; ProfileChecks wants 20 at least).
        script = Running.start("script", List.of("--engine=script"));
        auto = Running.start("auto", List.of());
    }

    @AfterAll
    static void stop() {
        for (Running agent : new Running[] {script, auto}) {
            if (agent != null) {
                agent.close();
            }
        }
    }

    private static void assertHotThreadFirst(String dump) {
        String first = dump.lines().filter(l -> l.startsWith("#1 ")).findFirst().orElseThrow(() -> new AssertionError(dump));
        assertTrue(first.contains("\"hot-spinner\""), first + "\n" + dump);
    }

    @Test
    void theHotThreadLandsFirstAndTheHeaderNamesContainerd() throws Exception {
        PrivateContainerd.Pod pod = containerd.startReady(TestPods.App.spinner("cri-hot"));

        Map<String, String> header = script.capture(pod, "ok");

        assertHotThreadFirst(header.get("dump"));
        assertTrue(header.get("runtime").startsWith("containerd "), header.get("runtime"));
        assertEquals("jcmd", header.get("engine"));
        assertEquals(pod.appId(), header.get("container-id"));
        assertEquals("cri-node", header.get("node"));
        String health = new String(script.api().get("/health", null).body().toString());
        assertTrue(health.contains("containerd"), health);

        // The agent as shipped takes the same JVM from the node: nothing runs in the container.
        Map<String, String> fromNode = auto.capture(pod, "ok");
        assertHotThreadFirst(fromNode.get("dump"));
        assertEquals("node", fromNode.get("engine"));
        assertTrue(fromNode.get("runtime").startsWith("containerd "), fromNode.get("runtime"));
    }

    @Test
    void aReadOnlyRootFilesystemIsCapturedAsWell() throws Exception {
        PrivateContainerd.Pod pod = containerd.startReady(TestPods.App.spinner("cri-ro").readOnly().withUser("1000:1000"));

        Map<String, String> header = script.capture(pod, "ok");

        assertHotThreadFirst(header.get("dump"));
    }

    @Test
    void aShellLessJreOnlyContainerIsCapturedByTheNodeEngine() throws Exception {
        PrivateContainerd.Pod pod = containerd.startReady(TestPods.App.spinner("cri-jre").withUser("1000:1000")
                .withImage(containerd.jreOnlyImage()));

        Map<String, String> header = auto.capture(pod, "ok");

        assertHotThreadFirst(header.get("dump"));
        assertEquals("node", header.get("engine"));
    }

    @Test
    void aJdkWithJfrIsProfiledWhileCrawShDumpsItsThreads() throws Exception {
        PrivateContainerd.Pod pod = containerd.startReady(splitSpinner("cri-jfr-jdk")
                .withImage(containerd.image(TestImages.Spec.jdkWithJfr())));

        Map<String, String> header = profiled(script, pod);

        assertEquals("jcmd", header.get("engine"));
    }

    @Test
    void aShellLessJreOfUid1000IsProfiledWhileTheNodeEngineDumpsItsThreads() throws Exception {
        PrivateContainerd.Pod pod = containerd.startReady(splitSpinner("cri-jfr-jre").withUser("1000:1000")
                .withImage(containerd.image(TestImages.Spec.jreWithJfr())));
        Path proc = Path.of("/proc/" + containerd.hostPid(pod));
        assertFalse(Files.exists(proc.resolve("root/bin")), "no shell in the image");
        assertTrue(Files.readAllLines(proc.resolve("status")).contains("Uid:\t1000\t1000\t1000\t1000"),
                "the JVM runs as 1000");

        Map<String, String> header = profiled(auto, pod);

        assertEquals("node", header.get("engine"));
    }

    /**
     * Captures a {@link dev.jdd.testing.SplitSpinner} pod: the dump names its profile, the file beside it and
     * {@code GET /v1/captures/{id}/profile} hold 70/30 with the hot thread first, and no recording folder is left in
     * the container's /tmp as the node sees it.
     */
    private Map<String, String> profiled(Running agent, PrivateContainerd.Pod pod) throws Exception {
        Map<String, String> header = agent.capture(pod, "ok");
        String dump = header.get("dump");
        Path file = AgentApiCaller.dumpFile(agent.dumps(), pod.namespace(), pod.pod(), pod.container(), header.get("capture-id"));
        assertEquals(file.getFileName() + ".collapsed", header.get("profile"), dump);
        assertEquals("cpu-time", header.get("profile-sampler"), "JDK 25's CPU-time sampler: " + dump);
        String collapsed = Files.readString(file.resolveSibling(header.get("profile")));
        long samples = ProfileChecks.assertSplitSpinnerShares(collapsed);
        assertEquals(Long.toString(samples), header.get("profile-samples"), dump);
        HttpResponse<String> served = agent.api().text("/v1/captures/" + header.get("capture-id") + "/profile");
        assertEquals(200, served.statusCode(), served.body());
        assertEquals(collapsed, served.body());
        ProfileChecks.assertNoProfileFilesIn(Path.of("/proc/" + containerd.hostPid(pod) + "/root/tmp"));
        return header;
    }

    @Test
    void aPodNotOnTheNodeIs404AndHostileNamesAre400WithoutAFile() throws Exception {
        AgentApiCaller.Answer missing = script.api().capture(TestPods.RUN, "not-here", "app");
        assertEquals(404, missing.status(), missing.body().toString());
        assertEquals("not-found", missing.outcome());
        long before = files();
        for (String[] bad : List.of(new String[] {"../etc", "p", "app"}, new String[] {TestPods.RUN, "p;rm -rf /", "app"},
                new String[] {TestPods.RUN, "p", "app\"}"})) {
            AgentApiCaller.Answer a = script.api().capture(bad[0], bad[1], bad[2]);
            assertEquals(400, a.status(), a.body().toString());
            assertEquals("invalid", a.outcome());
        }
        assertEquals(before, files());
    }

    @Test
    void aContainerThatExitsDuringTheSampleLeavesAFileWithTheReason() throws Exception {
        PrivateContainerd.Pod pod = containerd.startReady(TestPods.App.spinner("cri-exits"));
        AgentApiCaller.Answer answer = script.api().capture(pod.namespace(), pod.pod(), pod.container());
        assertEquals(202, answer.status(), answer.body().toString());
        for (int i = 0; i < 200 && dev.jdd.agent.docker.DockerRuntimeIT.hostProcesses("craw.sh").isEmpty(); i++) {
            Thread.sleep(20);
        }

        containerd.stopContainer(pod);

        Map<String, Object> listed = script.api().awaitFinished(pod.namespace(), pod.pod(), answer.captureId(), Duration.ofMinutes(2));
        String dump = script.api().dump(answer.captureId());
        assertTrue(List.of("not-found", "error").contains(listed.get("outcome")), dump);
        assertTrue(Files.isRegularFile(AgentApiCaller.dumpFile(script.dumps(), pod.namespace(), pod.pod(), pod.container(), answer.captureId())));
        assertTrue(script.process().healthy());
    }

    @Test
    void containerdRestartedBetweenTwoCapturesIsReachedAgainByTheSameAgent() throws Exception {
        PrivateContainerd.Pod pod = containerd.startReady(TestPods.App.spinner("cri-restart"));
        assertHotThreadFirst(script.capture(pod, "ok").get("dump"));

        containerd.stop();
        try {
            AgentApiCaller.Answer down = script.api().capture(pod.namespace(), pod.pod(), pod.container());
            assertTrue(down.status() >= 500 || "error".equals(down.outcome()) || "cooldown".equals(down.outcome()),
                    down.body().toString());
            assertTrue(script.process().healthy(), "health stays up while the runtime is down");
        } finally {
            containerd.startProcess();
        }

        PrivateContainerd.Pod other = containerd.startReady(TestPods.App.spinner("cri-restart-2"));
        assertHotThreadFirst(script.capture(other, "ok").get("dump"));
    }

    private static long files() throws IOException {
        if (!Files.exists(script.dumps())) {
            return 0;
        }
        try (Stream<Path> all = Files.walk(script.dumps())) {
            return all.filter(Files::isRegularFile).count();
        }
    }
}
