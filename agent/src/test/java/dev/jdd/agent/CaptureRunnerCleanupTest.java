package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.anyMap;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.ArgumentMatchers.isNull;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.lenient;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.jdd.agent.node.NodeEngine;
import dev.jdd.agent.runtime.ContainerRuntime;
import dev.jdd.agent.runtime.CopyRefusedException;
import dev.jdd.agent.runtime.ExecResult;
import dev.jdd.agent.runtime.RuntimeUnavailableException;
import dev.jdd.agent.runtime.Target;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mockito.InOrder;
import org.mockito.Mock;
import org.mockito.junit.jupiter.MockitoExtension;

/** Every way a capture can end removes what it copied into the target, and nothing it did not copy. */
@ExtendWith(MockitoExtension.class)
class CaptureRunnerCleanupTest {
    private static final Target TARGET = new Target("c0ffee", "web-api", 4242);
    private static final String FOLDER = "/tmp/.jdd-0123456789abcdef";
    private static final byte[] OK = "# engine: jcmd\n#1 cpu=99.0% tid=7 \"hot\"\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] NODE_OK = "# engine: node\n#1 cpu=99.0% tid=7 \"hot\"\n".getBytes(StandardCharsets.UTF_8);

    @Mock
    ContainerRuntime runtime;
    @Mock
    NodeEngine nodeEngine;
    final AgentConfig config = AgentConfig.forTest(Path.of("unused"), null)
            .withCapture(7, Duration.ofMillis(1500), Duration.ofSeconds(9));

    @BeforeEach
    void aRunningContainer() {
        when(runtime.find("shop", "web", "api")).thenReturn(Optional.of(TARGET));
    }

    private CaptureResult run(String engine) {
        return new CaptureRunner(runtime, "echo craw\n".getBytes(StandardCharsets.UTF_8), config.withEngine(engine),
                Clock.systemUTC(), nodeEngine).run(new Capture("0123456789abcdef", "shop", "web", "api", null, null, Instant.now()));
    }

    private void copies() {
        when(runtime.copy(eq(TARGET), anyMap())).thenReturn(FOLDER);
        lenient().when(runtime.removeFolder(TARGET, FOLDER)).thenReturn(true);
    }

    @Test
    void aRefusedCopyRunsFromStdinAndRemovesNothing() throws Exception {
        when(runtime.copy(eq(TARGET), anyMap())).thenThrow(new CopyRefusedException("read-only file system", null));
        when(runtime.exec(eq(TARGET), any(), any(), any())).thenReturn(new ExecResult(0, OK, new byte[0], false));

        assertEquals(CaptureResult.OK, run("script").outcome());

        verify(runtime).exec(eq(TARGET), eq(List.of("sh", "-s", "--", "-n", "7", "-i", "1500", "-t", "7")), any(byte[].class), eq(Duration.ofSeconds(9)));
        verify(runtime, never()).removeFolder(any(), any());
    }

    @Test
    void anUnavailableRuntimeDuringTheExecStillRemovesTheFolder() throws Exception {
        copies();
        when(runtime.exec(eq(TARGET), any(), isNull(), any())).thenThrow(new RuntimeUnavailableException("dockerd went away"));
        when(runtime.find("shop", "web", "api")).thenReturn(Optional.of(TARGET));

        assertEquals(CaptureResult.ERROR, run("script").outcome());

        verify(runtime).removeFolder(TARGET, FOLDER);
    }

    @Test
    void anInterruptedCaptureRemovesTheFolderWithTheFlagClearedThenRestoresIt() throws Exception {
        copies();
        when(runtime.exec(eq(TARGET), any(), isNull(), any())).thenAnswer(call -> {
            Thread.currentThread().interrupt();
            throw new InterruptedException("agent stopping");
        });
        AtomicBoolean interruptedDuringRemove = new AtomicBoolean(true);
        doAnswer(call -> {
            interruptedDuringRemove.set(Thread.currentThread().isInterrupted());
            return true;
        }).when(runtime).removeFolder(TARGET, FOLDER);

        assertEquals(CaptureResult.INTERRUPTED, run("script").outcome());

        verify(runtime).removeFolder(TARGET, FOLDER);
        assertFalse(interruptedDuringRemove.get(), "removal must not run with the interrupt flag set (it would close its socket)");
        Thread.interrupted();
    }

    @Test
    void aTimedOutScriptRemovesTheFolder() throws Exception {
        copies();
        when(runtime.exec(eq(TARGET), any(), isNull(), any())).thenReturn(new ExecResult(-1, new byte[0], new byte[0], true));

        assertEquals(CaptureResult.TIMED_OUT, run("script").outcome());

        verify(runtime).removeFolder(TARGET, FOLDER);
    }

    @Test
    void aTimedOutScriptThatWasEndedSaysSo() throws Exception {
        copies();
        when(runtime.exec(eq(TARGET), any(), isNull(), any())).thenReturn(new ExecResult(-1, new byte[0], new byte[0], true, null));

        CaptureResult r = run("script");

        assertEquals(CaptureResult.TIMED_OUT, r.outcome());
        assertEquals("craw.sh did not finish within --exec-timeout=9000ms and was ended", r.error());
    }

    @Test
    void aTimedOutScriptThatCouldNotBeEndedSaysWhyAndThatItMayStillRun() throws Exception {
        copies();
        when(runtime.exec(eq(TARGET), any(), isNull(), any()))
                .thenReturn(new ExecResult(-1, new byte[0], new byte[0], true, "dockerd did not answer within 15 s"));

        CaptureResult r = run("script");

        assertEquals(CaptureResult.TIMED_OUT, r.outcome());
        assertEquals("craw.sh did not finish within --exec-timeout=9000ms and could not be ended: dockerd did not answer"
                + " within 15 s; it may still run in the target", r.error());
    }

    @Test
    void aTimedOutScriptWhoseContainerWentAwayIsNotSaidToRunOn() throws Exception {
        copies();
        when(runtime.find("shop", "web", "api")).thenReturn(Optional.of(TARGET), Optional.empty());
        when(runtime.exec(eq(TARGET), any(), isNull(), any()))
                .thenReturn(new ExecResult(-1, new byte[0], new byte[0], true, "container web-api is gone or not running"));

        CaptureResult r = run("script");

        assertEquals(CaptureResult.TIMED_OUT, r.outcome());
        assertEquals("craw.sh did not finish within --exec-timeout=9000ms and its container is gone, and it with it", r.error());
    }

    @Test
    void aFolderThatCouldNotBeRemovedIsRemovedOnALaterTry() throws Exception {
        when(runtime.copy(eq(TARGET), anyMap())).thenReturn(FOLDER);
        when(runtime.exec(eq(TARGET), any(), isNull(), any())).thenReturn(new ExecResult(0, OK, new byte[0], false));
        when(runtime.removeFolder(TARGET, FOLDER)).thenReturn(false, true);
        try (LeftoverFolders leftovers = new LeftoverFolders(runtime, Duration.ofHours(1), 3)) {
            CaptureResult r = new CaptureRunner(runtime, "echo craw\n".getBytes(StandardCharsets.UTF_8), config.withEngine("script"),
                    Clock.systemUTC(), nodeEngine, leftovers)
                    .run(new Capture("0123456789abcdef", "shop", "web", "api", null, null, Instant.now()));

            assertEquals(CaptureResult.OK, r.outcome(), "a folder left behind does not fail the capture");
            assertEquals(1, leftovers.size());
            leftovers.retry();
            assertEquals(0, leftovers.size());
        }
        verify(runtime, times(2)).removeFolder(TARGET, FOLDER);
    }

    @Test
    void autoAsksTheNodeEngineBeforeCopyingAndRemovesWhatTheScriptNeeded() throws Exception {
        copies();
        when(nodeEngine.cannotCapture(4242L)).thenReturn("the agent does not see the node's processes");
        when(runtime.exec(eq(TARGET), any(), isNull(), any())).thenReturn(new ExecResult(0, OK, new byte[0], false));

        CaptureResult r = run("auto");

        assertEquals(CaptureResult.OK, r.outcome());
        assertEquals("jcmd", r.dumpTool());
        InOrder order = inOrder(runtime, nodeEngine);
        order.verify(nodeEngine).cannotCapture(4242L);
        order.verify(runtime).copy(eq(TARGET), anyMap());
        order.verify(runtime).exec(eq(TARGET), any(), isNull(), any());
        order.verify(runtime).removeFolder(TARGET, FOLDER);
        verify(nodeEngine, never()).capture(anyLong(), anyInt(), any(), anyBoolean(), any());
    }

    @Test
    void autoWithAReachableJvmNeverCopiesIntoTheContainer() throws Exception {
        when(nodeEngine.cannotCapture(4242L)).thenReturn(null);
        when(nodeEngine.capture(anyLong(), anyInt(), any(), anyBoolean(), any())).thenReturn(new ExecResult(0, NODE_OK, new byte[0], false));

        assertEquals("node", run("auto").dumpTool());

        verify(nodeEngine).capture(eq(4242L), eq(7), eq(Duration.ofMillis(1500)), eq(false), eq(Duration.ofSeconds(9)));
        verify(runtime, never()).copy(any(), any());
        verify(runtime, never()).exec(any(), any(), any(), any());
    }

    @Test
    void aStdoutTheRuntimeCutIsMarkedSoInTheResult() throws Exception {
        copies();
        when(runtime.exec(eq(TARGET), any(), isNull(), any())).thenReturn(new ExecResult(0, OK, new byte[0], false, null, true));

        assertTrue(run("script").stdoutCut());
    }

    @Test
    void theNodeEngineAloneNeverCopiesIntoTheContainer() throws Exception {
        when(nodeEngine.capture(anyLong(), anyInt(), any(), anyBoolean(), any())).thenReturn(new ExecResult(0, NODE_OK, new byte[0], false));

        assertEquals(CaptureResult.OK, run("node").outcome());

        verify(runtime, never()).copy(any(), any());
        verify(runtime, never()).removeFolder(any(), any());
    }
}
