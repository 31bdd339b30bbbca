package dev.jdd.agent.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The agent's one way to end a process tree on the node, and its one output cap. */
class ProcessTreeTest {

    @Test
    void endsTheProcessAndEverythingItStartedEvenWhatIgnoresTerm() throws Exception {
        Process shell = new ProcessBuilder("sh", "-c", "trap '' TERM; sleep 600 & (trap '' TERM; sleep 600) & wait").start();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (shell.descendants().count() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        List<ProcessHandle> tree = shell.descendants().toList();
        assertTrue(tree.size() >= 2, "the children started: " + tree);

        assertNull(ProcessTree.end(shell, Duration.ofMillis(200)), "reports the whole tree gone");

        assertFalse(shell.isAlive());
        for (ProcessHandle child : tree) {
            child.onExit().get();
            assertFalse(child.isAlive(), "left running: " + child.pid());
        }
    }

    @Test
    void anInterruptedCallerStillEndsTheTreeAndKeepsItsFlag() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "600").start();
        Thread.currentThread().interrupt();

        assertNull(ProcessTree.end(sleeper, Duration.ofMillis(100)));

        assertTrue(Thread.interrupted());
        assertFalse(sleeper.isAlive());
    }

    @Test
    void outputIsKeptUpToTheCapAndTheRestCounted() {
        CappedOutput out = new CappedOutput(5);
        byte[] abc = "abc".getBytes(StandardCharsets.US_ASCII);
        out.append(abc, 0, 3);
        out.append(abc, 1, 2);
        out.append(abc, 0, 3);

        assertArrayEquals("abcbc".getBytes(StandardCharsets.US_ASCII), out.bytes());
        assertEquals(3, out.dropped());
    }
}
