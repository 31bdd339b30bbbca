package dev.jdd.agent.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.testing.RequiresDocker;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent end to end on Docker: the real agent process ({@code java -jar}), its HTTP API on loopback, the real
 * engine, kubelet-labelled pods whose JVM has a really hot thread, and the dump files on disk.
 */
@RequiresDocker
class DockerAgentIT {
    private static final URI HOST = DockerFixture.HOST;
    static final String TOKEN = "it-token-" + TestPods.RUN;

    @TempDir
    static Path work;
    @RegisterExtension
    static final DockerFixture fixture = new DockerFixture();
    private static AgentProcess agent;
    private static AgentApiCaller api;
    private static Path dumps;

    @BeforeAll
    static void start() throws Exception {
        dumps = work.resolve("stacks");
        agent = AgentProcess.start(List.of("--token=" + TOKEN, "--engine=script", "--runtime=docker", "--docker-host=" + HOST,
                "--dump-dir=" + dumps, "--node=it-node", "--interval=1s", "--threads=20"), work.resolve("agent.log"));
        api = new AgentApiCaller(agent::uri, TOKEN);
    }

    @AfterAll
    static void stop() throws IOException {
        if (agent != null) {
            agent.close();
            System.err.println("--- agent log ---\n" + agent.logText());
        }
    }

    @Test
    void theHotThreadLandsFirstInTheFileAtTheContractedPath() throws Exception {
        TestPods.Pod pod = fixture.pods().startReady(TestPods.App.spinner("hot"));

        AgentApiCaller.Answer answer = api.capture(pod.namespace(), pod.pod(), pod.container());

        assertEquals(202, answer.status(), answer.body().toString());
        assertEquals("accepted", answer.outcome());
        String id = answer.captureId();
        Map<String, Object> listed = api.awaitFinished(pod.namespace(), pod.pod(), id, Duration.ofMinutes(2));
        String dump = api.dump(id);
        assertEquals("ok", listed.get("outcome"), dump);
        assertHotThreadFirst(dump);
        Map<String, String> header = AgentApiCaller.header(dump);
        assertEquals(id, header.get("capture-id"));
        assertEquals("it-node", header.get("node"));
        assertEquals(pod.namespace(), header.get("namespace"));
        assertEquals(pod.pod(), header.get("pod"));
        assertEquals("app", header.get("container"));
        assertEquals(pod.appId(), header.get("container-id"));
        assertEquals("HighCpu", header.get("alert-name"));

        Path file = AgentApiCaller.dumpFile(dumps, pod.namespace(), pod.pod(), pod.container(), id);
        assertEquals(dump, Files.readString(file));
        String start = header.get("start"); // 2026-11-27T01:02:03.456Z: the file is filed under its UTC day and time
        assertEquals(start.substring(0, 10), file.getParent().getParent().getParent().getFileName().toString());
        assertTrue(file.getFileName().toString().startsWith("app_" + start.substring(11, 19).replace(":", "") + "_"), file.toString());
        assertFalse(leftovers(pod), "the copied script must be removed from the container");

        AgentApiCaller.Answer again = api.capture(pod.namespace(), pod.pod(), pod.container());
        assertEquals(200, again.status());
        assertEquals("cooldown", again.outcome());
        assertEquals(id, again.captureId());
    }

    @Test
    void aReadOnlyRootFilesystemIsCapturedThroughStdin() throws Exception {
        TestPods.Pod pod = fixture.pods().startReady(TestPods.App.spinner("readonly").readOnly());

        AgentApiCaller.Answer answer = api.capture(pod.namespace(), pod.pod(), pod.container());

        assertEquals(202, answer.status(), answer.body().toString());
        Map<String, Object> listed = api.awaitFinished(pod.namespace(), pod.pod(), answer.captureId(), Duration.ofMinutes(2));
        String dump = api.dump(answer.captureId());
        assertEquals("ok", listed.get("outcome"), dump);
        assertHotThreadFirst(dump);
        assertTrue(agent.logText().contains("feeding craw.sh on stdin"), "the copy must have been refused");
    }

    @Test
    void aContainerThatExitsMidCaptureEndsItWithAFileThatSaysSo() throws Exception {
        TestPods.Pod pod = fixture.pods().startReady(TestPods.App.spinner("exits"));

        AgentApiCaller.Answer answer = api.capture(pod.namespace(), pod.pod(), pod.container());
        assertEquals(202, answer.status(), answer.body().toString());
        awaitInContainer(pod, "craw.sh");
        fixture.docker().killContainerCmd(pod.appId()).exec();

        Map<String, Object> listed = api.awaitFinished(pod.namespace(), pod.pod(), answer.captureId(), Duration.ofMinutes(2));
        String dump = api.dump(answer.captureId());
        assertTrue(List.of("not-found", "error").contains(listed.get("outcome")), dump);
        assertTrue(AgentApiCaller.header(dump).get("error").contains("stopped during the exec"), dump);
        assertTrue(Files.isRegularFile(AgentApiCaller.dumpFile(dumps, pod.namespace(), pod.pod(), pod.container(), answer.captureId())));
        assertTrue(agent.healthy());
    }

    @Test
    void anExecTimeoutEndsTheScriptAndEveryProcessItStarted() throws Exception {
        TestPods.Pod pod = fixture.pods().startReady(TestPods.App.spinner("timeout"));
        long jvm = javaHostPid(pod);
        Path dir = work.resolve("timeout");
        Files.createDirectories(dir);
        // A stopped JVM never answers the attach: the dump tool waits until the agent's timeout ends it.
        new ProcessBuilder("kill", "-STOP", Long.toString(jvm)).start().waitFor();
        try (AgentProcess strict = AgentProcess.start(List.of("--token=" + TOKEN, "--engine=script", "--runtime=docker", "--docker-host=" + HOST,
                "--dump-dir=" + dir.resolve("stacks"), "--interval=1s", "--exec-timeout=3s"), dir.resolve("agent.log"))) {
            AgentApiCaller client = new AgentApiCaller(strict::uri, TOKEN);

            AgentApiCaller.Answer answer = client.capture(pod.namespace(), pod.pod(), pod.container());
            assertEquals(202, answer.status(), answer.body().toString());
            Map<String, Object> listed = client.awaitFinished(pod.namespace(), pod.pod(), answer.captureId(), Duration.ofMinutes(2));

            String dump = client.dump(answer.captureId());
            assertEquals("timed-out", listed.get("outcome"), dump + strict.logText());
            List<String> left = fixture.pods().processes(pod.appId()).stream()
                    .filter(p -> p.contains("craw.sh") || p.contains("jcmd") || p.contains("jdd-exec") || p.contains("sleep")).toList();
            assertEquals(List.of(), left, "the script's processes must be gone");
            assertEquals(List.of(), CrawSampler.inContainer(pod.appId(), "craw.sh"), "the host still sees craw.sh in the container");
        } finally {
            new ProcessBuilder("kill", "-CONT", Long.toString(jvm)).start().waitFor();
        }
        assertFalse(hasJddFolder(pod), "the copied script must be removed after a timeout too");
    }

    /** The container's JVM as the host sees it. */
    private static long javaHostPid(TestPods.Pod pod) {
        return fixture.pods().processes(pod.appId()).stream().filter(p -> p.contains("dev.jdd.testing.Spinner"))
                .mapToLong(p -> Long.parseLong(p.substring(0, p.indexOf(' ')))).findFirst().orElseThrow();
    }

    @Test
    void hostileNamesAreInvalidAndLeaveNothingBehind() throws Exception {
        TestPods.Pod pod = fixture.pods().start(TestPods.App.spinner("target").withCommand(List.of("sleep", "600")));
        List<String[]> hostile = List.of(
                new String[] {"../../etc", pod.pod(), "app"},
                new String[] {pod.namespace(), "a;rm -rf /", "app"},
                new String[] {pod.namespace(), pod.pod(), "$(reboot)"},
                new String[] {pod.namespace(), pod.pod(), "app\nio.kubernetes.docker.type=podsandbox"},
                new String[] {pod.namespace().toUpperCase(), pod.pod(), "app"},
                new String[] {"x".repeat(64), pod.pod(), "app"},
                new String[] {pod.namespace(), pod.pod(), ""});
        long filesBefore = fileCount();
        for (String[] names : hostile) {
            AgentApiCaller.Answer a = api.capture(names[0], names[1], names[2]);
            assertEquals(400, a.status(), String.join("|", names) + " -> " + a.body());
            assertEquals("invalid", a.outcome());
        }
        AgentApiCaller.Answer missing = api.capture(pod.namespace(), "no-such-pod", "app");
        assertEquals(404, missing.status());
        assertEquals("not-found", missing.outcome());
        assertEquals(filesBefore, fileCount(), "a bad request must not leave a file");
        assertFalse(leftovers(pod));
    }

    @Test
    void aWrongOrMissingTokenIsRefused() throws Exception {
        TestPods.Pod pod = fixture.pods().start(TestPods.App.spinner("token").withCommand(List.of("sleep", "600")));
        long filesBefore = fileCount();

        assertEquals(401, api.capture(pod.namespace(), pod.pod(), pod.container(), TOKEN + "x").status());
        assertEquals(401, api.capture(pod.namespace(), pod.pod(), pod.container(), null).status());
        assertEquals(401, api.capture(pod.namespace(), pod.pod(), pod.container(), "").status());
        assertEquals(401, api.get("/v1/captures", "wrong").status());
        assertEquals(401, api.get("/v1/captures/0123456789abcdef", null).status());

        assertEquals(filesBefore, fileCount());
        assertTrue(fixture.pods().processes(pod.appId()).stream().noneMatch(p -> p.contains("craw.sh")));
    }

    static void assertHotThreadFirst(String dump) {
        String first = dump.lines().filter(l -> l.startsWith("#1 ")).findFirst().orElseThrow(() -> new AssertionError(dump));
        assertTrue(first.contains("\"hot-spinner\""), first + "\n" + dump);
    }

    private static boolean leftovers(TestPods.Pod pod) {
        return fixture.pods().processes(pod.appId()).stream().anyMatch(p -> p.contains("craw.sh")) || hasJddFolder(pod);
    }

    private static boolean hasJddFolder(TestPods.Pod pod) {
        try (DockerRuntime runtime = new DockerRuntime(HOST)) {
            var target = runtime.find(pod.namespace(), pod.pod(), pod.container()).orElseThrow();
            var r = runtime.exec(target, List.of("ls", "-a", "/tmp", "/"), null, Duration.ofSeconds(30));
            return new String(r.stdout()).contains(".jdd-");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static void awaitInContainer(TestPods.Pod pod, String marker) {
        for (int i = 0; i < 600; i++) {
            if (fixture.pods().processes(pod.appId()).stream().anyMatch(p -> p.contains(marker))) {
                return;
            }
            TestPods.sleep(50);
        }
        throw new IllegalStateException(marker + " never ran in " + pod.appId());
    }

    private static long fileCount() throws IOException {
        if (!Files.exists(dumps)) {
            return 0;
        }
        try (Stream<Path> all = Files.walk(dumps)) {
            return all.filter(Files::isRegularFile).count();
        }
    }
}
