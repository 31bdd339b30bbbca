package dev.jdd.agent.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.agent.runtime.ExecResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding the container's JVM in a hand-made /proc: namespaces, names, custom launchers. */
class NodeCaptureTest {
    private static final String NODE_NS = "pid:[4026531836]";
    private static final String CONTAINER_NS = "pid:[4026532501]";
    private static final String OTHER_NS = "pid:[4026532777]";

    @TempDir
    Path proc;
    private NodeCapture engine;

    @BeforeEach
    void agentInTheNodeNamespace() throws IOException {
        process(1, NODE_NS, "/usr/lib/systemd/systemd", "systemd", null);
        process(500, NODE_NS, "/opt/java/bin/java", "java\0-jar\0/opt/jdd/jdd-agent.jar\0", null);
        Files.createSymbolicLink(proc.resolve("self"), proc.resolve("500"));
        engine = new NodeCapture(new ProcFs(proc), new HotSpotAttach(new ProcFs(proc), (pid, sig, t) -> {
            throw new IOException("no signals in this test");
        }));
    }

    private void process(long pid, String ns, String exe, String cmdline, String maps) throws IOException {
        Path dir = proc.resolve(Long.toString(pid));
        Files.createDirectories(dir.resolve("ns"));
        Files.createSymbolicLink(dir.resolve("ns/pid"), Path.of(ns));
        if (exe != null) {
            // Relative, dangling targets: only the link's text matters, and nothing outside the folder is touched.
            Files.createSymbolicLink(dir.resolve("exe"), Path.of(exe.substring(1)));
        }
        Files.writeString(dir.resolve("cmdline"), cmdline, StandardCharsets.ISO_8859_1);
        if (maps != null) {
            Files.writeString(dir.resolve("maps"), maps);
        }
    }

    @Test
    void findsTheJavaProcessesOfTheContainerOnly() throws IOException {
        process(900, CONTAINER_NS, "/sbin/tini", "tini\0--\0java\0-jar\0app.jar\0", null);
        process(901, CONTAINER_NS, "/opt/java/openjdk/bin/java", "java\0-jar\0app.jar\0", null);
        process(902, CONTAINER_NS, "/bin/sleep", "sleep\0infinity\0", null);
        process(950, OTHER_NS, "/usr/bin/java", "java\0Other\0", null);
        assertEquals(List.of(901L), engine.findJvms(900));
        assertEquals(List.of(950L), engine.findJvms(950));
    }

    @Test
    void severalJvmsAreAllCandidates() throws IOException {
        process(901, CONTAINER_NS, "/opt/java/bin/java", "java\0A\0", null);
        process(905, CONTAINER_NS, null, "/usr/local/bin/java\0B\0", null);
        assertEquals(List.of(901L, 905L), engine.findJvms(901).stream().sorted().toList());
    }

    @Test
    void aCustomLauncherIsFoundByItsLibjvm() throws IOException {
        process(901, CONTAINER_NS, "/app/bin/myservice", "myservice\0", "7f00-7f01 r-xp 0 08:01 12 /app/lib/server/libjvm.so\n");
        process(902, CONTAINER_NS, "/bin/sh", "sh\0", "7f00-7f01 r-xp 0 08:01 12 /lib/libc.so.6\n");
        assertEquals(List.of(901L), engine.findJvms(902));
    }

    @Test
    void aProcessOfTheNodeItselfIsTakenAsItIsNotItsWholeNamespace() throws IOException {
        process(600, NODE_NS, "/usr/bin/java", "java\0Main\0", null);
        process(601, NODE_NS, "/bin/sleep", "sleep\0", null);
        assertEquals(List.of(600L), engine.findJvms(600));
        assertEquals(List.of(), engine.findJvms(601));
    }

    @Test
    void whatKeepsTheNodeEngineFromAContainerIsToldBeforeSampling() throws IOException {
        assertTrue(engine.cannotCapture(4321).contains("4321 is gone or not visible"), engine.cannotCapture(4321));
        process(902, CONTAINER_NS, "/bin/sleep", "sleep\0infinity\0", null);
        assertTrue(engine.cannotCapture(902).startsWith("no JVM found"), engine.cannotCapture(902));

        process(901, CONTAINER_NS, "/opt/java/bin/java", "java\0-jar\0app.jar\0", null);
        Path status = proc.resolve("901/status");
        Files.writeString(status, "Name:\tjava\nNSpid:\t901\t1\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
                + "SigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n");
        assertTrue(engine.cannotCapture(902).contains("does not handle SIGQUIT"), engine.cannotCapture(902));
        // SIGQUIT (3) caught, as HotSpot does: the listener can be started.
        Files.writeString(status, Files.readString(status).replace("SigCgt:\t0000000000000000", "SigCgt:\t0000000000000004"));
        assertNull(engine.cannotCapture(902));
        Files.writeString(proc.resolve("901/cmdline"), "java\0-XX:+DisableAttachMechanism\0-jar\0app.jar\0");
        assertTrue(engine.cannotCapture(902).contains("-XX:+DisableAttachMechanism"), engine.cannotCapture(902));
    }

    @Test
    void noMainPidOrAGoneOneIsExitThreeWithTheReason() throws Exception {
        assertThrows(IOException.class, () -> engine.findJvms(0));
        ExecResult gone = engine.capture(4321, 50, Duration.ofMillis(10), false, Duration.ofSeconds(5));
        assertEquals(3, gone.exitCode());
        String err = new String(gone.stderr(), StandardCharsets.UTF_8);
        assertTrue(err.contains("4321 is gone or not visible") && err.contains("CAP_SYS_PTRACE"), err);
        process(902, CONTAINER_NS, "/bin/sleep", "sleep\0", null);
        ExecResult none = engine.capture(902, 50, Duration.ofMillis(10), false, Duration.ofSeconds(5));
        assertEquals(3, none.exitCode());
        assertTrue(new String(none.stderr(), StandardCharsets.UTF_8).contains("no JVM found"));
    }
}
