package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.spy;

import dev.jdd.agent.local.LocalRuntime;
import dev.jdd.agent.runtime.ContainerRuntime;
import dev.jdd.agent.runtime.ExecResult;
import dev.jdd.agent.runtime.RuntimeUnavailableException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class CaptureRunnerTest {
    static final byte[] SCRIPT = "#!/bin/sh\necho craw\n".getBytes(StandardCharsets.UTF_8);
    final FakeRuntime runtime = new FakeRuntime();
    final AgentConfig config = AgentConfig.forTest(Path.of("unused"), null)
            .withCapture(7, Duration.ofMillis(1500), Duration.ofSeconds(9));

    private CaptureResult run(Capture capture) {
        return new CaptureRunner(runtime, SCRIPT, config, Clock.systemUTC()).run(capture);
    }

    private static Capture capture(String alertName, String alertValue) {
        return new Capture("0123456789abcdef", "shop", "web", "api", alertName, alertValue, Instant.now());
    }

    @Test
    void copiesRunsWithOnlyTheAgentsNumbersAndRemovesTheFolder() {
        CaptureResult r = run(capture("$(touch /tmp/pwned)", "`reboot`; rm -rf /"));
        assertEquals(CaptureResult.OK, r.outcome());
        assertEquals("jcmd", r.dumpTool());
        assertEquals(0, r.exitCode());
        assertEquals(List.of(List.of("sh", "/tmp/jdd-fake-1/craw.sh", "-n", "7", "-i", "1500", "-t", "7")), runtime.commands);
        assertEquals(List.of("/tmp/jdd-fake-1"), runtime.removed);
        assertTrue(runtime.stdins.isEmpty());
        assertNull(r.error());
    }

    @Test
    void aReadOnlyTargetGetsTheScriptOnStdin() {
        runtime.refuseCopy = true;
        CaptureResult r = run(capture(null, null));
        assertEquals(CaptureResult.OK, r.outcome());
        assertEquals(List.of(List.of("sh", "-s", "--", "-n", "7", "-i", "1500", "-t", "7")), runtime.commands);
        assertArrayEquals(SCRIPT, runtime.stdins.get(0));
        assertTrue(runtime.removed.isEmpty(), "nothing was copied, nothing to remove");
    }

    @Test
    void theLocalRuntimeTellsTheScriptWhichPid() throws Exception {
        LocalRuntime local = new LocalRuntime();
        Capture c = new Capture("0123456789abcdef", "host", "local", "pid-" + ProcessHandle.current().pid(), null, null,
                Instant.now());
        byte[] echoArgs = "echo \"# engine: test\"; echo \"args: $*\"\n".getBytes(StandardCharsets.UTF_8);
        CaptureResult r = new CaptureRunner(local, echoArgs, config, Clock.systemUTC()).run(c);
        assertEquals(CaptureResult.OK, r.outcome());
        assertEquals("test", r.dumpTool());
        assertTrue(new String(r.stdout(), StandardCharsets.UTF_8)
                .contains("args: -n 7 -i 1500 -t 7 -p " + ProcessHandle.current().pid() + "\n"));
    }

    @Test
    void aNonZeroExitIsFailedWithStderrKept() {
        runtime.exitCode = 3;
        runtime.stdout = "";
        runtime.stderr = "craw.sh: no JVM found\n";
        CaptureResult r = run(capture(null, null));
        assertEquals(CaptureResult.FAILED, r.outcome());
        assertEquals(3, r.exitCode());
        assertEquals("craw.sh exited with 3 (no JVM found)", r.error());
        assertEquals("craw.sh: no JVM found\n", new String(r.stderr(), StandardCharsets.UTF_8));
        assertEquals(1, runtime.removed.size());
    }

    @Test
    void stderrAloneIsNotFailure() {
        runtime.stderr = "warning: jcmd not found, using jstack\n";
        assertEquals(CaptureResult.OK, run(capture(null, null)).outcome());
    }

    @Test
    void aTimeoutIsRecordedAsTimedOut() {
        runtime.timeOut = true;
        runtime.hold();
        CaptureResult r = run(capture(null, null));
        assertEquals(CaptureResult.TIMED_OUT, r.outcome());
        assertNull(r.exitCode());
        assertTrue(r.error().contains("--exec-timeout=9000ms"), r.error());
        assertEquals(1, runtime.removed.size());
    }

    @Test
    void theScriptGivingUpAtItsOwnLimitIsTimedOutWithItsReason() throws InterruptedException {
        runtime.exitCode = 6;
        runtime.stdout = "";
        runtime.stderr = "craw: gave up: the run did not end within its time limit of 7 s (-t)\n";
        CaptureResult r = run(capture(null, null));
        assertEquals(CaptureResult.TIMED_OUT, r.outcome());
        assertEquals(6, r.exitCode());
        assertEquals("craw.sh gave up at its time limit of 7 s (-t, from --exec-timeout=9000ms): "
                + "craw: gave up: the run did not end within its time limit of 7 s (-t)", r.error());
        assertEquals(7, CaptureRunner.scriptLimitSeconds(Duration.ofSeconds(9), Duration.ofMillis(1500)));
        assertEquals(28, CaptureRunner.scriptLimitSeconds(Duration.ofSeconds(30), Duration.ofSeconds(2)));
        assertEquals(4, CaptureRunner.scriptLimitSeconds(Duration.ofSeconds(4), Duration.ofSeconds(3)),
                "never less than the interval and 1 s");
    }

    @Test
    void aContainerGoneBeforeOrDuringTheRunIsNotFound() throws InterruptedException {
        runtime.missing.add("shop/web/api");
        CaptureResult before = run(capture(null, null));
        assertEquals(CaptureResult.NOT_FOUND, before.outcome());
        assertTrue(runtime.commands.isEmpty());

        // Found when the capture starts, gone when the exec fails: the runtime lost it mid-capture.
        runtime.missing.clear();
        runtime.vanishing.add("shop/web/api");
        ContainerRuntime failingExec = spy(runtime);
        doThrow(new RuntimeUnavailableException("container c1 is not running")).when(failingExec).exec(any(), any(), any(), any());
        CaptureRunner runner = new CaptureRunner(failingExec, SCRIPT, config, Clock.systemUTC());
        CaptureResult during = runner.run(capture(null, null));
        assertEquals(CaptureResult.NOT_FOUND, during.outcome(), during.error());
        assertTrue(during.error().startsWith("the container went away during the capture"), during.error());
        assertEquals(1, runtime.removed.size(), "the copied folder is still removed (best effort)");

        runtime.missing.clear();
        CaptureResult stillThere = runner.run(capture(null, null));
        assertEquals(CaptureResult.ERROR, stillThere.outcome());
        assertTrue(stillThere.error().contains("is not running"), stillThere.error());
    }

    @Test
    void anUnreachableRuntimeIsAnError() {
        runtime.unavailable = "connection refused";
        CaptureResult r = run(capture(null, null));
        assertEquals(CaptureResult.ERROR, r.outcome());
        assertEquals("fake: connection refused", r.error());
    }

    private final FakeNodeEngine nodeEngine = new FakeNodeEngine();

    private CaptureResult run(String engine) {
        return new CaptureRunner(runtime, SCRIPT, config.withEngine(engine), Clock.systemUTC(), nodeEngine)
                .run(capture(null, null));
    }

    @Test
    void theScriptEngineNeverTurnsToTheNode() {
        assertTheScriptsExit4IsTheResult("script");
    }

    private void assertTheScriptsExit4IsTheResult(String engine) {
        runtime.exitCode = 4;
        runtime.stdout = "";
        CaptureResult r = run(engine);
        assertEquals(CaptureResult.FAILED, r.outcome());
        assertEquals("craw.sh exited with 4 (no tool that can dump threads)", r.error());
        assertTrue(nodeEngine.captured.isEmpty());
    }

    @Test
    void autoTakesTheNodeEngineWhereItReachesTheJvmAndRunsNothingInTheContainer() {
        CaptureResult r = run("auto");
        assertEquals(CaptureResult.OK, r.outcome());
        assertEquals("node", r.dumpTool());
        assertEquals(List.of(4242L), nodeEngine.captured);
        assertTrue(runtime.copied.isEmpty() && runtime.commands.isEmpty() && runtime.removed.isEmpty());
    }

    @Test
    void autoRunsTheScriptWhereTheNodeEngineCannotAndTheDumpSaysWhy() {
        nodeEngine.cannotCapture = "the container's main process 4242 is gone or not visible (the agent needs hostPID)";
        runtime.stderr = "craw: sampling\n";
        CaptureResult r = run("auto");
        assertEquals(CaptureResult.OK, r.outcome());
        assertEquals("jcmd", r.dumpTool());
        assertTrue(nodeEngine.captured.isEmpty());
        assertEquals("jdd: the node engine cannot capture this container (the container's main process 4242 is gone or"
                + " not visible (the agent needs hostPID)); craw.sh captured instead\ncraw: sampling\n",
                new String(r.stderr(), StandardCharsets.UTF_8));
        assertEquals(runtime.copied, runtime.removed, "what was copied is removed");

        // A script that cannot work there either stays the script's result: the node engine was ruled out.
        assertTheScriptsExit4IsTheResult("auto");
    }

    @Test
    void aJvmThatEndedWithItsContainerDuringTheNodeSampleIsNotFound() {
        runtime.vanishing.add("shop/web/api");
        nodeEngine.exitCode = 3;
        nodeEngine.stderr = "jdd node engine: the JVM of the container of process 4242 exited during the sample\n";
        CaptureResult r = run("auto");
        assertEquals(CaptureResult.NOT_FOUND, r.outcome(), r.error());
        assertEquals("the target ended during the capture: the JVM of the container of process 4242 exited during the"
                + " sample", r.error());
    }

    @Test
    void theNodeEngineAloneCopiesNothingAndItsFailureSaysWhy() {
        nodeEngine.exitCode = 5;
        nodeEngine.stderr = "jdd node engine: Java 8 (process 4242) accepts attach only from its own user and group\n";
        CaptureResult r = run("node");
        assertEquals(CaptureResult.FAILED, r.outcome());
        assertEquals("node", r.dumpTool());
        assertEquals(5, r.exitCode());
        assertEquals("the node engine failed with exit code 5 (the thread dump failed): Java 8 (process 4242) accepts"
                + " attach only from its own user and group", r.error());
        assertTrue(runtime.commands.isEmpty());
        assertTrue(runtime.removed.isEmpty());
    }
}
