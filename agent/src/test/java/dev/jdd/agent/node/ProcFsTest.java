package dev.jdd.agent.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ProcFsTest {
    private static final String REST = " 1 1 0 0 -1 4194368 100 0 0 0 250 17 0 0 20 0 22 0 9876 0 0 18446744073709551615";

    @Test
    void statLineWithPlainName() {
        ProcFs.TaskStat s = ProcFs.parseStat("4260 (hot-spinner) R" + REST + "\n");
        assertEquals(4260, s.id());
        assertEquals("hot-spinner", s.comm());
        assertEquals('R', s.state());
        assertEquals(267, s.cpuTicks());
        assertEquals(9876, s.startTicks());
    }

    @Test
    void statLineWithSpacesAndParenthesesInTheName() {
        ProcFs.TaskStat s = ProcFs.parseStat("77 (we\"ird) (name) S" + REST);
        assertEquals("we\"ird) (name", s.comm());
        assertEquals('S', s.state());
        assertEquals(267, s.cpuTicks());

        assertEquals("C2 CompilerThre", ProcFs.parseStat("12 (C2 CompilerThre) S" + REST).comm());
        assertEquals(") (", ProcFs.parseStat("13 () () S" + REST).comm());
    }

    @Test
    void badStatLinesAreRejectedWithTheLine() {
        assertThrows(IllegalArgumentException.class, () -> ProcFs.parseStat("garbage"));
        assertThrows(IllegalArgumentException.class, () -> ProcFs.parseStat("12 (x) S 1 2"));
    }

    @Test
    void nsPidIsTheInnermostId() {
        String container = "Name:\tjava\nTgid:\t4242\nNgid:\t0\nPid:\t4242\nPPid:\t4200\nNSpid:\t4242\t1\nNSpgid:\t4242\t1\n";
        assertEquals(1, ProcFs.innermostNsId(container, 4242));
        assertEquals(4242, ProcFs.innermostNsId("Pid:\t4242\nNSpid:\t4242\n", 0));
        assertEquals(55, ProcFs.innermostNsId("NSpid:\t900\t300\t55\n", 900));
        // Kernels before 4.1 have no NSpid: the host id is all there is.
        assertEquals(4242, ProcFs.innermostNsId("Pid:\t4242\n", 4242));
    }

    @Test
    void effectiveIdsAndSignalMasks() {
        String status = "Uid:\t1000\t65534\t65534\t65534\nGid:\t1001\t65533\t65533\t65533\n"
                + "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\nSigCgt:\t2000000181005ccf\n";
        assertEquals(65534, ProcFs.effectiveId(status, "Uid"));
        assertEquals(65533, ProcFs.effectiveId(status, "Gid"));
        assertTrue(ProcFs.signalInMask(status, "SigCgt", 3));
        assertFalse(ProcFs.signalInMask(status, "SigIgn", 3));
        assertFalse(ProcFs.signalInMask("SigCgt:\t0000000000000003\n", "SigCgt", 3));
        assertTrue(ProcFs.signalInMask("SigCgt:\t0000000000000004\n", "SigCgt", 3));
    }
}
