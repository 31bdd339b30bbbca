package dev.jdd.agent.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The runtimes' shared end of an exec's processes (TERM, grace, KILL), on real processes; and their random names. */
class ExecsTest {

    /** Real processes, signalled through ProcessHandle the way the CRI runtime does it from the node. */
    private static Execs.Processes<ProcessHandle, RuntimeException> of(List<Process> processes, List<Execs.Signal> sent) {
        return signal -> {
            sent.add(signal);
            List<ProcessHandle> live = processes.stream().map(Process::toHandle).filter(ProcessHandle::isAlive).toList();
            live.forEach(p -> {
                if (signal == Execs.Signal.TERM) {
                    p.destroy();
                } else if (signal == Execs.Signal.KILL) {
                    p.destroyForcibly();
                }
            });
            return live;
        };
    }

    @Test
    void termIsEnoughForWhatHeedsIt() throws Exception {
        List<Execs.Signal> sent = new ArrayList<>();
        Process sleeper = new ProcessBuilder("sleep", "600").start();
        assertEquals(List.of(), Execs.termThenKill(of(List.of(sleeper), sent)));
        assertFalse(sleeper.isAlive());
        assertFalse(sent.contains(Execs.Signal.KILL), "no KILL after the TERM worked: " + sent);
    }

    @Test
    void whatIgnoresTermIsKilledAfterTheGrace() throws Exception {
        List<Execs.Signal> sent = new ArrayList<>();
        Process stubborn = new ProcessBuilder("sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done").start();
        stubborn.getInputStream().read(); // the trap is set
        long start = System.nanoTime();
        assertEquals(List.of(), Execs.termThenKill(of(List.of(stubborn), sent)));
        assertTrue(System.nanoTime() - start >= Execs.GRACE.toNanos(), "KILL only after the grace");
        assertFalse(stubborn.isAlive());
        assertEquals(Execs.Signal.TERM, sent.getFirst());
        assertTrue(sent.contains(Execs.Signal.KILL), sent.toString());
    }

    @Test
    void whatSurvivesEveryRoundIsReturnedAndAnInterruptIsKept() {
        List<Execs.Signal> sent = new ArrayList<>();
        Thread.currentThread().interrupt();
        List<String> left = Execs.termThenKill(signal -> {
            sent.add(signal);
            return List.of("4242");
        });
        assertTrue(Thread.interrupted(), "the caller's interrupt flag is kept");
        assertEquals(List.of("4242"), left);
        assertEquals(20, sent.stream().filter(s -> s == Execs.Signal.KILL).count(), "all KILL rounds ran: " + sent);
    }

    @Test
    void randomNamesAreHexAndDiffer() {
        String a = Execs.randomName(".jdd-");
        assertTrue(a.matches("\\.jdd-[0-9a-f]{16}"), a);
        assertNotEquals(a, Execs.randomName(".jdd-"));
    }
}
