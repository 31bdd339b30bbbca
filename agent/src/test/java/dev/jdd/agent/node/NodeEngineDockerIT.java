package dev.jdd.agent.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.agent.docker.DockerFixture;
import dev.jdd.agent.docker.TestImages;
import dev.jdd.agent.docker.TestPods;
import dev.jdd.agent.runtime.ExecResult;
import dev.jdd.agent.runtime.Target;
import dev.jdd.testing.HotJvm;
import dev.jdd.testing.RequiresDocker;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The node engine against real containers: a JRE-only runtime (jlink of java.base: no jcmd, no jdk.attach)
 * with no shell or busybox at all, its JVM running as uid 1000; captured from this host (root, as the agent
 * on a node) through /proc, with the container's own pid and thread ids in the output.
 */
@RequiresDocker
class NodeEngineDockerIT {
    private static final URI HOST = DockerFixture.HOST;
    @RegisterExtension
    static final DockerFixture fixture = new DockerFixture();
    private static final Pattern FIRST = Pattern.compile("(?m)^#1 cpu=(\\d+\\.\\d)% tid=(\\d+) \"hot-spinner\" RUNNABLE$");
    private final NodeCapture engine = NodeCapture.onThisNode();

    @Test
    void capturesAJreOnlyShellLessContainerRunningAsANonRootUser() throws Exception {
        String jre = TestImages.jvm(fixture.docker(), HOST, TestImages.Spec.jreOnly());
        TestPods.Pod pod = fixture.pods().startReady(TestPods.App.spinner("distroless").withImage(jre).withUser("1000:1000"));
        Target target = fixture.runtime().find(pod.namespace(), pod.pod(), pod.container()).orElseThrow();
        Path root = Path.of("/proc/" + target.hostPid() + "/root");
        assertFalse(Files.exists(root.resolve("bin")), "no shell, no busybox in the image");
        assertFalse(Files.exists(root.resolve("opt/java/bin/jcmd")), "no jcmd");
        assertNull(engine.cannotCapture(target.hostPid()), "reachable from the node");
        assertEquals("1000", status(target.hostPid(), "Uid").split("\\s+")[1]);

        for (int round = 1; round <= 2; round++) {
            ExecResult r = engine.capture(target.hostPid(), 20, Duration.ofSeconds(1), false, Duration.ofSeconds(30));
            String out = new String(r.stdout(), StandardCharsets.UTF_8);
            assertEquals(0, r.exitCode(), new String(r.stderr(), StandardCharsets.UTF_8));
            assertTrue(out.startsWith("# jdd-capture: 1\n# pid: 1\n# engine: node\n# interval-ms: 1000\n# threads: "), out);
            Matcher first = FIRST.matcher(out);
            assertTrue(first.find(), out);
            // The container's own thread id, as its JVM printed it in nid=, not the host's.
            long hostTid = HotJvm.tidNamed(target.hostPid(), "hot-spinner");
            assertEquals(ProcFs.innermostNsId(Files.readString(Path.of("/proc/" + target.hostPid() + "/task/" + hostTid
                    + "/status")), -1), Long.parseLong(first.group(2)));
            assertNotEquals(hostTid, Long.parseLong(first.group(2)));
            assertTrue(out.contains("\tat dev.jdd.testing.Spinner.spin("), out);
            // Ranked first is what counts; its share depends on how loaded the machine is.
            assertTrue(Double.parseDouble(first.group(1)) > 0.5, first.group(0));
        }
        // Nothing of ours is left in the container: the JVM's own attach socket stays, the trigger is gone.
        try (Stream<Path> tmp = Files.list(root.resolve("tmp"))) {
            List<String> names = tmp.map(p -> p.getFileName().toString()).toList();
            assertTrue(names.contains(".java_pid1"), names.toString());
            assertTrue(names.stream().noneMatch(n -> n.startsWith(".attach_pid") || n.startsWith("craw")), names.toString());
        }
        try (Stream<Path> cwd = Files.list(Path.of("/proc/" + target.hostPid() + "/cwd"))) {
            assertTrue(cwd.noneMatch(p -> p.getFileName().toString().startsWith(".attach_pid")));
        }
        String logs = fixture.pods().logs(pod.appId());
        assertFalse(logs.contains("Full thread dump"), "SIGQUIT started the listener and printed nothing: " + logs);
    }

    @Test
    void aReadOnlyRootWithATmpfsTmpIsReachedThroughTheContainersMounts() throws Exception {
        // The working directory (/) is read-only: the trigger goes to /tmp, a tmpfs that only the container's
        // mount namespace has, and so does the JVM's socket.
        String jre = TestImages.jvm(fixture.docker(), HOST, TestImages.Spec.jreOnly());
        TestPods.Pod pod = fixture.pods().startReady(TestPods.App.spinner("read-only").withImage(jre).withUser("1000:1000").readOnly());
        Target target = fixture.runtime().find(pod.namespace(), pod.pod(), pod.container()).orElseThrow();
        ExecResult r = engine.capture(target.hostPid(), 5, Duration.ofSeconds(1), false, Duration.ofSeconds(30));
        String out = new String(r.stdout(), StandardCharsets.UTF_8);
        assertEquals(0, r.exitCode(), new String(r.stderr(), StandardCharsets.UTF_8));
        assertTrue(FIRST.matcher(out).find(), out);
        try (Stream<Path> tmp = Files.list(Path.of("/proc/" + target.hostPid() + "/root/tmp"))) {
            assertTrue(tmp.noneMatch(p -> p.getFileName().toString().startsWith(".attach_pid")));
        }
    }

    @Test
    void takesTheBusiestOfSeveralJvmsInTheContainer() throws Exception {
        // The main process is an idle JVM; a hot one runs beside it in the same container.
        List<String> idle = TestPods.spinnerCommand(3, 0);
        List<String> hot = TestPods.spinnerCommand(3, 1);
        String both = String.join(" ", hot) + " & exec " + String.join(" ", idle);
        TestPods.Pod pod = fixture.pods().startReady(TestPods.App.spinner("two-jvms").withCommand(List.of("sh", "-c", both)));
        Target target = fixture.runtime().find(pod.namespace(), pod.pod(), pod.container()).orElseThrow();
        fixture.pods().awaitLog(pod.appId(), "ready ", Duration.ofSeconds(60));
        Thread.sleep(1000);
        ExecResult r = engine.capture(target.hostPid(), 5, Duration.ofSeconds(1), false, Duration.ofSeconds(30));
        String out = new String(r.stdout(), StandardCharsets.UTF_8);
        assertEquals(0, r.exitCode(), new String(r.stderr(), StandardCharsets.UTF_8));
        assertTrue(FIRST.matcher(out).find(), out);
        assertFalse(out.contains("# pid: 1\n"), "not the main (idle) JVM: " + out);
        assertTrue(new String(r.stderr(), StandardCharsets.UTF_8).contains("2 JVMs found"));
    }

    private static String status(long pid, String key) throws IOException {
        return ProcFs.statusField(Files.readString(Path.of("/proc/" + pid + "/status")), key);
    }
}
