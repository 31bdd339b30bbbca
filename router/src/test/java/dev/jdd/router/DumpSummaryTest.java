package dev.jdd.router;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DumpSummaryTest {
    static final String DUMP = """
            # capture-id: 20261127-100000-ab12
            # node: demo-node
            # namespace: demo
            # pod: checkout-7d9f8
            # container: checkoutservice
            # alert-name: ContainerCpuHigh
            # start: 2026-11-27T10:00:00.000Z
            # end: 2026-11-27T10:00:02.310Z
            # engine: jcmd
            # outcome: ok
            # exit-code: 0

            # jdd-capture: 1
            # pid: 4242
            # engine: jcmd
            # interval-ms: 2000
            # threads: 57
            #
            #1 cpu=99.7% tid=4260 "pricing-loop" RUNNABLE
            "pricing-loop" #31 [4260] prio=5 os_prio=0 cpu=1999.12ms elapsed=10.1s tid=0x00007f nid=4260 runnable
               java.lang.Thread.State: RUNNABLE
            \tat CheckoutService.price(CheckoutService.java:40)
            \tat CheckoutService.lambda$main$0(CheckoutService.java:20)
            \tat java.lang.Thread.run(java.base@21/Thread.java:1583)

            #2 cpu=0.3% tid=4251 "C2 CompilerThread0"

            #3 cpu=0.0% tid=4270 "<img src=x onerror=alert(1)> "quoted"" TIMED_WAITING
            "<img src=x onerror=alert(1)> "quoted"" #32 [4270] prio=5 nid=4270 waiting on condition
               java.lang.Thread.State: TIMED_WAITING (sleeping)
            \tat java.lang.Thread.sleep0(java.base@21/Native Method)

            # full-dump
            "main" #1 [4243] prio=5 nid=4243 waiting on condition
            """;

    @Test
    void headerRanksAndStacks() {
        DumpSummary s = DumpSummary.parse(DUMP);
        assertEquals("demo-node", s.header().get("node"));
        assertEquals("ok", s.header().get("outcome"));
        assertEquals("jcmd", s.header().get("engine"));
        assertEquals("2000", s.header().get("interval-ms"), "craw.sh's header counts too");
        assertEquals(3, s.threads().size(), s.threads().toString());

        DumpSummary.RankedThread hot = s.threads().get(0);
        assertEquals(1, hot.rank());
        assertEquals(99.7, hot.cpu());
        assertEquals(4260, hot.tid());
        assertEquals("pricing-loop", hot.name());
        assertEquals("RUNNABLE", hot.state());
        assertTrue(hot.stack().startsWith("\"pricing-loop\" #31"), hot.stack());
        assertTrue(hot.stack().endsWith("Thread.java:1583)"), hot.stack());

        DumpSummary.RankedThread compiler = s.threads().get(1);
        assertEquals("C2 CompilerThread0", compiler.name());
        assertNull(compiler.state());
        assertEquals("", compiler.stack());

        DumpSummary.RankedThread hostile = s.threads().get(2);
        assertEquals("<img src=x onerror=alert(1)> \"quoted\"", hostile.name());
        assertEquals("TIMED_WAITING", hostile.state());
        assertTrue(hostile.stack().endsWith("Native Method)"), "the full dump after the ranks is no stack: " + hostile.stack());

        assertEquals(Map.of("RUNNABLE", 1, "TIMED_WAITING", 1, "no Java frames", 1), s.states());
    }

    @Test
    void failedCaptureHasAHeaderAndNoThreads() {
        DumpSummary s = DumpSummary.parse("# capture-id: x\n# outcome: failed\n# error: no JVM found\n\n# craw.sh stderr:\nno JVM\n");
        assertEquals("failed", s.header().get("outcome"));
        assertEquals("no JVM found", s.header().get("error"));
        assertTrue(s.threads().isEmpty());
    }

    @Test
    void rankedLineNeedsTheWholeForm() {
        assertTrue(DumpSummary.rankedLine("#12 cpu=3.5% tid=7 \"worker\" BLOCKED").isPresent());
        assertTrue(DumpSummary.rankedLine("#12 cpu=3.5% tid=7 \"\"").isPresent(), "a thread without a name");
        assertTrue(DumpSummary.rankedLine("# pid: 12").isEmpty());
        assertTrue(DumpSummary.rankedLine("#1 cpu=abc% tid=7 \"x\"").isEmpty());
        assertTrue(DumpSummary.rankedLine("#1 cpu=1% tid=7 \"x\" lower").isEmpty());
    }

    @Test
    void topThreadReadsOnlyTheStart() throws IOException {
        assertEquals(Optional.of(new DumpSummary.TopThread("pricing-loop", 99.7)),
                DumpSummary.topThread(new BufferedReader(new StringReader(DUMP)), 64 * 1024));
        int before = DUMP.indexOf("#1 cpu=");
        assertEquals(Optional.empty(), DumpSummary.topThread(new BufferedReader(new StringReader(DUMP)), before),
                "the ranked line lies beyond the limit");
        assertEquals(Optional.empty(), DumpSummary.topThread(new BufferedReader(new StringReader("# outcome: failed\n")), 1000));
    }
}
