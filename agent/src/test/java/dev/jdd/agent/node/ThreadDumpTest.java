package dev.jdd.agent.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ThreadDumpTest {
    private static final String JDK17 = """
            2026-11-27 00:26:31
            Full thread dump OpenJDK 64-Bit Server VM (17.0.15+6-Debian-1deb12u1 mixed mode, sharing):

            Threads class SMR info:
            _java_thread_list=0x00007f6400001f70, length=13, elements={
            0x00007f6490017ea0, 0x00007f64900f8390
            }

            "main" #1 prio=5 os_prio=0 cpu=27.70ms elapsed=2.37s tid=0x00007f6490017ea0 nid=0x2125 waiting on condition  [0x00007f6496b1e000]
               java.lang.Thread.State: TIMED_WAITING (sleeping)
            \tat java.lang.Thread.sleep(java.base@17.0.15/Native Method)
            \tat T.main(T.java:1)

            "we"ird) (name" #12 daemon prio=5 os_prio=0 cpu=2138.04ms elapsed=2.33s tid=0x00007f6490118830 nid=0x2148 runnable  [0x00007f646c3e9000]
               java.lang.Thread.State: RUNNABLE
            \tat T.lambda$main$0(T.java:1)
            \tat java.lang.Thread.run(java.base@17.0.15/Thread.java:840)

            "C2 CompilerThread0" #6 daemon prio=9 os_prio=0 cpu=30.11ms elapsed=2.35s tid=0x00007f6490105370 nid=0x2137 waiting on condition  [0x0000000000000000]
               java.lang.Thread.State: RUNNABLE
               No compile task

            "VM Thread" os_prio=0 cpu=0.63ms elapsed=2.75s tid=0x00007f5c6c0b0000 nid=0x2130 runnable \s\s

            JNI global refs: 4, weak refs: 0

            """;

    private static final String JDK25_WITH_LOCKS = """
            "main" #3 [8484] prio=5 os_prio=0 cpu=24.86ms elapsed=2.77s tid=0x00007f5c6c02a810 nid=8484 waiting on condition  [0x00007f5c70d1e000]
               java.lang.Thread.State: TIMED_WAITING (sleeping)
            \tat java.lang.Thread.sleepNanos0(java.base@25.0.3/Native Method)
            \tat T.main(T.java:1)

               Locked ownable synchronizers:
            \t- None

            "hot-spinner" #21 [8521] daemon prio=5 os_prio=0 cpu=2450.37ms elapsed=2.73s tid=0x00007f5c6c0dc970 nid=8521 runnable  [0x00007f5c4c27c000]
               java.lang.Thread.State: RUNNABLE
            \tat dev.jdd.testing.Spinner.spin(Spinner.java:50)

               Locked ownable synchronizers:
            \t- None

            "GC Thread#0" os_prio=0 cpu=0.08ms elapsed=2.77s tid=0x00007f5c6c057730 nid=8487 runnable \s\s

            JNI global refs: 4, weak refs: 0
            """;

    @Test
    void hexNidsUpToJdk20() {
        ThreadDump dump = ThreadDump.parse(JDK17);
        assertEquals(4, dump.size());
        ThreadDump.Block weird = dump.byNid(0x2148);
        assertEquals("we\"ird) (name", weird.name());
        assertEquals("RUNNABLE", weird.state());
        assertTrue(weird.text().startsWith("\"we\"ird) (name\" #12 daemon"));
        assertTrue(weird.text().endsWith("\tat java.lang.Thread.run(java.base@17.0.15/Thread.java:840)"), weird.text());
        assertEquals("TIMED_WAITING", dump.byNid(0x2125).state());
        assertEquals("C2 CompilerThread0", dump.byNid(0x2137).name());
        assertTrue(dump.byNid(0x2137).text().endsWith("No compile task"));
    }

    @Test
    void decimalNidsFromJdk21AndBlocksWithLockSections() {
        ThreadDump dump = ThreadDump.parse(JDK25_WITH_LOCKS);
        assertEquals(3, dump.size());
        ThreadDump.Block hot = dump.byNid(8521);
        assertEquals("hot-spinner", hot.name());
        assertEquals("RUNNABLE", hot.state());
        assertTrue(hot.text().contains("Locked ownable synchronizers:"));
        assertTrue(hot.text().endsWith("\t- None"));
        ThreadDump.Block gc = dump.byNid(8487);
        assertEquals("GC Thread#0", gc.name());
        assertNull(gc.state(), "a thread without Java frames has no Java state");
        assertTrue(gc.text().startsWith("\"GC Thread#0\" os_prio=0"));
        assertEquals(1, gc.text().lines().count());
    }

    @Test
    void nothingUsableGivesAnEmptyDump() {
        assertEquals(0, ThreadDump.parse("").size());
        assertEquals(0, ThreadDump.parse("Operation threaddump not recognized!\n").size());
    }
}
