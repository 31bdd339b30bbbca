package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.agent.runtime.ContainerRuntime;
import dev.jdd.agent.runtime.ExecResult;
import dev.jdd.agent.runtime.Target;
import dev.jdd.common.Admission;
import dev.jdd.common.CaptureInfo;
import dev.jdd.common.CaptureRequest;
import dev.jdd.common.Outcome;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A runtime that stalls (answers nothing, ignores interrupts, like a SIGSTOPped engine): a capture still ends, and
 * its slot is free, within --exec-timeout + 5 s; admission answers error within its short bound.
 */
class CaptureDeadlineTest {
    @TempDir
    Path dumps;
    final CountDownLatch released = new CountDownLatch(1);
    volatile boolean stallFind;
    final FakeRuntime fake = new FakeRuntime();
    CaptureScheduler scheduler;

    /** Delegates to the fake runtime, but its exec (and, when asked, its find) block until released, interrupts or not. */
    final ContainerRuntime stalled = new ContainerRuntime() {
        @Override
        public Optional<Target> find(String namespace, String pod, String container) {
            if (stallFind) {
                stall();
            }
            return fake.find(namespace, pod, container);
        }

        @Override
        public String copy(Target target, Map<String, byte[]> files) {
            return fake.copy(target, files);
        }

        @Override
        public ExecResult exec(Target target, List<String> command, byte[] stdin, Duration timeout) {
            stall();
            return new ExecResult(0, "# jdd-capture: 1\n".getBytes(StandardCharsets.UTF_8), new byte[0], false);
        }

        @Override
        public boolean removeFolder(Target target, String folder) {
            return fake.removeFolder(target, folder);
        }

        @Override
        public String name() {
            return "stalled";
        }
    };

    private void stall() {
        while (true) {
            try {
                released.await();
                return;
            } catch (InterruptedException ignored) {
                // a stalled engine call does not end on an interrupt either
            }
        }
    }

    @AfterEach
    void release() {
        released.countDown();
        if (scheduler != null) {
            scheduler.shutdown(Duration.ofSeconds(5));
        }
    }

    private CaptureScheduler start(int slots) throws Exception {
        AgentConfig config = AgentConfig.forTest(dumps, null).withLimits(slots, 10, Duration.ofMinutes(5))
                .withCapture(5, Duration.ofMillis(100), Duration.ofSeconds(1));
        DumpStore store = new DumpStore(dumps, config.node(), config.retentionBytes(), config.retentionAge(), Clock.systemUTC());
        store.open();
        scheduler = new CaptureScheduler(config, stalled,
                new CaptureRunner(stalled, "echo".getBytes(StandardCharsets.UTF_8), config, Clock.systemUTC()),
                store, new AgentMetrics(), Clock.systemUTC());
        return scheduler;
    }

    private static CaptureRequest request(String container) {
        return new CaptureRequest("shop", "web", container, null);
    }

    private CaptureInfo awaitFinished(String id, Duration max) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < end) {
            for (CaptureInfo c : scheduler.list("shop", "web", 100)) {
                if (c.captureId().equals(id) && c.outcome() != null) {
                    return c;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("capture " + id + " did not end within " + max);
    }

    @Test
    void aStalledExecEndsAsTimedOutAndFreesItsSlotWithinTheDeadline() throws Exception {
        start(1);
        long start = System.nanoTime();
        Admission first = scheduler.submit(request("a"));
        Admission queued = scheduler.submit(request("b"));
        assertEquals(Outcome.ACCEPTED, first.outcome());
        assertEquals(Outcome.ACCEPTED, queued.outcome());
        CaptureInfo info = awaitFinished(first.captureId(), Duration.ofSeconds(10));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertEquals("timed-out", info.outcome());
        assertTrue(info.error().contains("the runtime stalled did not end it"), info.error());
        assertTrue(took.compareTo(Duration.ofSeconds(1).plus(CaptureScheduler.DEADLINE_MARGIN).plusSeconds(1)) < 0,
                "ended after " + took);
        // The slot went to the queued capture, and no cooldown holds the timed-out container.
        long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (scheduler.queued() > 0 && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertEquals(0, scheduler.queued(), "the freed slot runs the queued capture");
        assertEquals(1, scheduler.running());
        assertEquals(Outcome.ACCEPTED, scheduler.submit(request("a")).outcome(), "no cooldown: nothing was captured");
    }

    @Test
    void admissionNeverWaitsLongOnAStalledRuntime() throws Exception {
        start(1);
        stallFind = true;
        long start = System.nanoTime();
        Admission a = scheduler.submit(request("c"));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertEquals(Outcome.ERROR, a.outcome());
        assertEquals(503, a.httpStatus());
        assertEquals("stalled: the runtime did not answer within 2000 ms", a.detail());
        assertTrue(took.compareTo(CaptureScheduler.FIND_BOUND.plusMillis(500)) < 0, "answered after " + took);
    }
}
