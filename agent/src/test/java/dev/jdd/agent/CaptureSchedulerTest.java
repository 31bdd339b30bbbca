package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyMap;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.doReturn;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;

import dev.jdd.agent.runtime.ContainerRuntime;
import dev.jdd.agent.runtime.CopyRefusedException;
import dev.jdd.agent.runtime.ExecResult;
import dev.jdd.agent.runtime.RuntimeUnavailableException;
import dev.jdd.agent.runtime.Target;
import dev.jdd.common.Admission;
import dev.jdd.common.CaptureInfo;
import dev.jdd.common.CaptureRequest;
import dev.jdd.common.Outcome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaptureSchedulerTest {
    @TempDir
    Path dumps;
    final FakeRuntime runtime = new FakeRuntime();
    final AgentMetrics metrics = new AgentMetrics();
    DumpStore store;
    CaptureScheduler scheduler;

    @AfterEach
    void stop() {
        runtime.release();
        if (scheduler != null) {
            scheduler.shutdown(Duration.ofSeconds(5));
        }
    }

    private CaptureScheduler start(int slots, int queue, Duration cooldown, Clock clock) throws IOException {
        AgentConfig config = AgentConfig.forTest(dumps, null).withLimits(slots, queue, cooldown);
        store = new DumpStore(dumps, config.node(), config.retentionBytes(), config.retentionAge(), clock);
        store.open();
        CaptureRunner runner = new CaptureRunner(runtime, "echo craw".getBytes(StandardCharsets.UTF_8), config, clock);
        scheduler = new CaptureScheduler(config, runtime, runner, store, metrics, clock);
        return scheduler;
    }

    private CaptureScheduler start(int slots, int queue) throws IOException {
        return start(slots, queue, Duration.ofMinutes(5), Clock.systemUTC());
    }

    private static CaptureRequest request(String container) {
        return new CaptureRequest("shop", "web-7d9f", container, new CaptureRequest.Alert("HighCpu", "97%", Map.of()));
    }

    private void awaitIdle() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (scheduler.running() > 0 || scheduler.queued() > 0) {
            assertTrue(System.nanoTime() < deadline, "captures did not finish");
            Thread.sleep(10);
        }
    }

    private void awaitExecs(int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (runtime.execsNow.get() < n) {
            assertTrue(System.nanoTime() < deadline, "execs did not start: " + runtime.execsNow.get() + " of " + n);
            Thread.sleep(5);
        }
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> walk = Files.walk(dumps)) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void underAStormNeverMoreThanSlotsRunAndEveryRequestGetsOneAnswer() throws Exception {
        start(10, 100);
        runtime.hold();
        // 1,000 requests for 200 containers, 5 each, shuffled, from 64 threads at once.
        List<String> containers = new ArrayList<>();
        for (int c = 0; c < 200; c++) {
            for (int r = 0; r < 5; r++) {
                containers.add("app-" + c);
            }
        }
        Collections.shuffle(containers, new Random(42));
        ExecutorService pool = Executors.newFixedThreadPool(64);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Admission>> answers = new ArrayList<>();
        for (String container : containers) {
            answers.add(pool.submit(() -> {
                go.await();
                return scheduler.submit(request(container));
            }));
        }
        go.countDown();
        Map<Outcome, Integer> counts = new EnumMap<>(Outcome.class);
        Map<String, String> acceptedIdByContainer = new ConcurrentHashMap<>();
        List<String[]> inProgress = new ArrayList<>();
        for (int i = 0; i < answers.size(); i++) {
            Admission a = answers.get(i).get();
            counts.merge(a.outcome(), 1, Integer::sum);
            if (a.outcome() == Outcome.ACCEPTED) {
                assertNull(acceptedIdByContainer.put(containers.get(i), a.captureId()), "accepted twice: " + containers.get(i));
            } else if (a.outcome() == Outcome.IN_PROGRESS) {
                inProgress.add(new String[] {containers.get(i), a.captureId()});
            }
        }
        pool.shutdown();

        assertEquals(Set.of(Outcome.ACCEPTED, Outcome.IN_PROGRESS, Outcome.BUSY), counts.keySet(), counts.toString());
        assertEquals(1000, counts.values().stream().mapToInt(Integer::intValue).sum());
        assertEquals(110, counts.get(Outcome.ACCEPTED), "slots + queue places are taken, no more: " + counts);
        for (String[] ip : inProgress) {
            assertEquals(acceptedIdByContainer.get(ip[0]), ip[1], "in-progress answers with the running capture's id");
        }
        awaitExecs(10);
        assertEquals(10, scheduler.running());
        assertEquals(100, scheduler.queued());
        assertEquals(10, runtime.execsNow.get());

        runtime.release();
        awaitIdle();
        assertEquals(10, runtime.peakExecs.get(), "peak concurrency equals the slot count");
        assertEquals(110, runtime.execsStarted.get());
        assertEquals(110, files().size(), "every accepted capture ends in a file");
        assertEquals(110, new HashSet<>(acceptedIdByContainer.values()).size(), "ids are unique");
        assertEquals(110, metrics.captures(CaptureResult.OK));
        assertEquals(counts.get(Outcome.BUSY), (int) metrics.admissions(Outcome.BUSY));
        assertEquals(Set.copyOf(runtime.copied), Set.copyOf(runtime.removed), "everything copied was removed");
    }

    @Test
    void queuesAfterTheSlotsThenAnswersBusy() throws Exception {
        start(1, 1);
        runtime.hold();
        Admission first = scheduler.submit(request("a"));
        Admission second = scheduler.submit(request("b"));
        Admission third = scheduler.submit(request("c"));
        assertEquals(Outcome.ACCEPTED, first.outcome());
        assertEquals(Outcome.ACCEPTED, second.outcome());
        assertEquals(Outcome.BUSY, third.outcome());
        assertEquals(429, third.httpStatus());
        assertNull(third.captureId());
        awaitExecs(1);
        assertEquals(1, scheduler.queued());
        List<CaptureInfo> listed = scheduler.list(null, null, 10);
        assertEquals(Set.of(first.captureId(), second.captureId()), Set.of(listed.get(0).captureId(), listed.get(1).captureId()));
        assertNull(listed.get(0).outcome(), "waiting and running captures have no outcome yet");
        runtime.release();
        awaitIdle();
        assertEquals(1, runtime.peakExecs.get());
        assertEquals(2, files().size());
    }

    @Test
    void sameContainerIsInProgressThenInCooldownUntilItExpires() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-27T10:00:00Z"));
        start(10, 100, Duration.ofMinutes(5), clock);
        runtime.hold();
        Admission first = scheduler.submit(request("api"));
        Admission again = scheduler.submit(request("api"));
        assertEquals(Outcome.IN_PROGRESS, again.outcome());
        assertEquals(first.captureId(), again.captureId());
        assertEquals(200, again.httpStatus());
        runtime.release();
        awaitIdle();

        clock.advance(Duration.ofMinutes(4));
        Admission cooling = scheduler.submit(request("api"));
        assertEquals(Outcome.COOLDOWN, cooling.outcome());
        assertEquals(first.captureId(), cooling.captureId(), "cooldown names the last capture");
        assertEquals(Outcome.ACCEPTED, scheduler.submit(request("other")).outcome(), "cooldown is per container");

        clock.advance(Duration.ofMinutes(2));
        Admission after = scheduler.submit(request("api"));
        assertEquals(Outcome.ACCEPTED, after.outcome());
        assertTrue(!after.captureId().equals(first.captureId()));
        awaitIdle();
    }

    @Test
    void cooldownSurvivesARestartThroughTheDumpFolder() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-27T10:00:00Z"));
        start(10, 100, Duration.ofMinutes(5), clock);
        Admission first = scheduler.submit(request("api"));
        awaitIdle();
        scheduler.shutdown(Duration.ZERO);

        clock.advance(Duration.ofMinutes(1));
        start(10, 100, Duration.ofMinutes(5), clock);
        Admission restarted = scheduler.submit(request("api"));
        assertEquals(Outcome.COOLDOWN, restarted.outcome());
        assertEquals(first.captureId(), restarted.captureId());
    }

    @Test
    void aDryRunAnswersAsARealRequestWouldButTakesNothing() throws Exception {
        start(1, 0);
        Admission dry = scheduler.submit(request("api"), true);
        assertEquals(Outcome.DRY_RUN, dry.outcome());
        assertEquals(200, dry.httpStatus());
        assertNull(dry.captureId());
        assertEquals(1, runtime.finds.get(), "the container is looked up");
        assertEquals(0, runtime.execsStarted.get());
        assertEquals(0, scheduler.running() + scheduler.queued());
        assertEquals(List.of(), files());

        runtime.missing.add("shop/web-7d9f/ghost");
        Admission ghost = scheduler.submit(request("ghost"), true);
        assertEquals(Outcome.NOT_FOUND, ghost.outcome());
        assertTrue(ghost.detail().contains("ghost"), ghost.detail());

        // no cooldown and no slot from the dry run: the real request is accepted and fills the only slot
        runtime.hold();
        assertEquals(Outcome.ACCEPTED, scheduler.submit(request("api")).outcome());
        awaitExecs(1);
        assertEquals(Outcome.IN_PROGRESS, scheduler.submit(request("api"), true).outcome());
        assertEquals(Outcome.BUSY, scheduler.submit(request("web"), true).outcome());
        assertEquals(1, metrics.admissions(Outcome.DRY_RUN));
    }

    @Test
    void everyWayACaptureFailsGivesItsSlotBack() throws Exception {
        ContainerRuntime failing = mock(ContainerRuntime.class);
        doAnswer(call -> Optional.of(new Target(call.getArgument(2), call.getArgument(2), 1))).when(failing).find(any(), any(), any());
        doAnswer(call -> "/tmp/.jdd-" + call.getArgument(0, Target.class).id()).when(failing).copy(any(), anyMap());
        doThrow(new CopyRefusedException("read-only", null)).when(failing).copy(named("refused"), anyMap());
        doReturn(true).when(failing).removeFolder(any(), any());
        doReturn(new ExecResult(0, "# engine: jcmd\n".getBytes(StandardCharsets.UTF_8), new byte[0], false))
                .when(failing).exec(any(), any(), any(), any());
        doThrow(new RuntimeUnavailableException("dockerd went away")).when(failing).exec(named("unavailable"), any(), any(), any());
        doThrow(new IllegalStateException("a bug")).when(failing).exec(named("bug"), any(), any(), any());
        doReturn(new ExecResult(-1, new byte[0], new byte[0], true)).when(failing).exec(named("timeout"), any(), any(), any());
        AgentConfig config = AgentConfig.forTest(dumps, null).withLimits(1, 0, Duration.ofMinutes(5));
        store = new DumpStore(dumps, config.node(), config.retentionBytes(), config.retentionAge(), Clock.systemUTC());
        store.open();
        scheduler = new CaptureScheduler(config, failing, new CaptureRunner(failing, "echo craw".getBytes(StandardCharsets.UTF_8),
                config.withEngine("script"), Clock.systemUTC()), store, metrics, Clock.systemUTC());

        for (String container : List.of("unavailable", "bug", "timeout", "refused", "last")) {
            assertEquals(Outcome.ACCEPTED, scheduler.submit(request(container)).outcome(), container + ": the one slot is free again");
            awaitIdle();
        }
        assertEquals(5, files().size(), "every capture left its file");
        for (String copied : List.of("unavailable", "bug", "timeout", "last")) {
            verify(failing).removeFolder(named(copied), eq("/tmp/.jdd-" + copied));
        }
        verify(failing, never()).removeFolder(named("refused"), any());
    }

    private static Target named(String id) {
        return argThat(t -> t != null && t.id().equals(id));
    }

    @Test
    void aFailedLookupIsNotFoundOrErrorAndTakesNothing() throws Exception {
        start(1, 0);
        runtime.missing.add("shop/web-7d9f/ghost");
        Admission ghost = scheduler.submit(request("ghost"));
        assertEquals(Outcome.NOT_FOUND, ghost.outcome());
        assertEquals(404, ghost.httpStatus());

        runtime.unavailable = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock";
        Admission down = scheduler.submit(request("api"));
        assertEquals(Outcome.ERROR, down.outcome());
        assertEquals(503, down.httpStatus());
        assertTrue(down.detail().contains("Cannot connect"), down.detail());

        runtime.unavailable = null;
        runtime.bug = new NullPointerException("docker-java had a bad day");
        Admission bug = scheduler.submit(request("api"));
        assertEquals(Outcome.ERROR, bug.outcome(), "a runtime bug is still a definite answer");
        assertTrue(bug.detail().contains("NullPointerException"), bug.detail());

        runtime.bug = null;
        assertEquals(Outcome.ACCEPTED, scheduler.submit(request("api")).outcome(), "recovers when the runtime is back");
        awaitIdle();
        assertEquals(1, files().size(), "only the accepted capture left a file");
    }

    @Test
    void invalidNamesAreRefusedBeforeTheRuntimeOrTheDiskIsTouched() throws Exception {
        start(10, 100);
        List<CaptureRequest> hostile = List.of(
                new CaptureRequest("../etc", "web", "app", null),
                new CaptureRequest("shop", "../../passwd", "app", null),
                new CaptureRequest("shop", "web", "app/../../x", null),
                new CaptureRequest("Shop", "web", "app", null),
                new CaptureRequest("shop", "web", "app\nx", null),
                new CaptureRequest("shop", "web", "a".repeat(64), null),
                new CaptureRequest("shop", "web", "", null),
                new CaptureRequest(null, "web", "app", null),
                new CaptureRequest("shop", null, "app", null),
                new CaptureRequest("shop", "web", null, null),
                new CaptureRequest("shop", "web..x", "app", null),
                new CaptureRequest("shop", "web", "app_1", null));
        for (CaptureRequest r : hostile) {
            Admission a = scheduler.submit(r);
            assertEquals(Outcome.INVALID, a.outcome(), r.toString());
            assertEquals(400, a.httpStatus());
            assertNotNull(a.detail());
        }
        assertEquals(Outcome.INVALID, scheduler.submit(null).outcome());
        assertEquals(0, runtime.finds.get());
        assertEquals(List.of(), files());
    }

    @Test
    void shutdownAnswersStoppingAndRecordsRunningAndQueuedCapturesAsInterrupted() throws Exception {
        start(2, 10);
        runtime.hold();
        List<String> ids = new ArrayList<>();
        for (String c : List.of("a", "b", "c", "d")) {
            ids.add(scheduler.submit(request(c)).captureId());
        }
        awaitExecs(2);
        Thread stopper = Thread.ofPlatform().start(() -> scheduler.shutdown(Duration.ofMillis(200)));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!scheduler.stopping()) {
            assertTrue(System.nanoTime() < deadline);
            Thread.sleep(5);
        }
        Admission late = scheduler.submit(request("e"));
        assertEquals(Outcome.STOPPING, late.outcome());
        assertEquals(503, late.httpStatus());
        stopper.join(Duration.ofSeconds(30));

        assertEquals(4, files().size(), "none lost: queued and running captures all have files");
        for (Path f : files()) {
            assertTrue(Files.readString(f).contains("# outcome: interrupted\n"), f.toString());
        }
        assertEquals(2, runtime.copied.size(), "the two queued captures never ran");
        assertEquals(Set.copyOf(runtime.copied), Set.copyOf(runtime.removed), "what was copied is removed");
        assertEquals(4, metrics.captures(CaptureResult.INTERRUPTED));
        assertTrue(ids.stream().allMatch(store::contains));
    }

    @Test
    void runningCapturesThatFinishWithinTheGraceAreKept() throws Exception {
        start(2, 10);
        runtime.hold();
        scheduler.submit(request("a"));
        awaitExecs(1);
        Thread stopper = Thread.ofPlatform().start(() -> scheduler.shutdown(Duration.ofSeconds(30)));
        while (!scheduler.stopping()) {
            Thread.sleep(5);
        }
        runtime.release();
        stopper.join(Duration.ofSeconds(30));
        assertEquals(1, files().size());
        assertTrue(Files.readString(files().get(0)).contains("# outcome: ok\n"));
    }
}
