package dev.jdd.agent;

import dev.jdd.agent.runtime.ContainerRuntime;
import dev.jdd.agent.runtime.RuntimeUnavailableException;
import dev.jdd.agent.runtime.Target;
import dev.jdd.common.Admission;
import dev.jdd.common.CaptureInfo;
import dev.jdd.common.CaptureRequest;
import dev.jdd.common.Names;
import dev.jdd.common.Outcome;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Admission and execution of captures. Every request gets one answer at once: at most {@code slots} captures run
 * (a slot is taken before the runtime is asked to exec, and given back only after the file is written), then
 * {@code queue} wait, then {@code busy}; a container being captured answers {@code in-progress}, one captured
 * within {@code cooldown} answers {@code cooldown}. All of that is decided under one lock, so it is exact under any
 * concurrency. Every accepted capture ends in a file, also when it fails or the agent stops.
 */
public final class CaptureScheduler {
    private static final Logger LOG = Logger.getLogger(CaptureScheduler.class.getName());
    /** How long stopped captures get, after the grace period and an interrupt, to write their files. */
    private static final Duration AFTER_INTERRUPT = Duration.ofSeconds(10);
    /** Past --exec-timeout, how long a capture may take to end (the runtime ending the script, the file) before the watchdog ends it. */
    static final Duration DEADLINE_MARGIN = Duration.ofSeconds(5);
    /** How long admission waits for the runtime to find the container before answering error. */
    static final Duration FIND_BOUND = Duration.ofSeconds(2);

    private final ContainerRuntime runtime;
    private final CaptureRunner runner;
    private final DumpStore store;
    private final AgentMetrics metrics;
    private final Clock clock;
    private final String node;
    private final int slots;
    private final int queueCapacity;
    private final Duration cooldown;
    private final SecureRandom random = new SecureRandom();
    private final ExecutorService workers;
    private final CaptureJournal journal;
    private final Duration deadline;
    private final ScheduledExecutorService watchdog =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("capture-watchdog").daemon().factory());
    /** Runtime lookups at admission, each on its own virtual thread, so that a stalled runtime holds none of ours. */
    private final ExecutorService lookups = Executors.newVirtualThreadPerTaskExecutor();

    // Guarded by this.
    private final Map<String, Capture> active = new HashMap<>();
    private final ArrayDeque<Capture> queue = new ArrayDeque<>();
    private final Map<String, LastCapture> lastCapture = new HashMap<>();
    private int running;
    private boolean stopping;

    private record LastCapture(String id, Instant end) {
    }

    public CaptureScheduler(AgentConfig config, ContainerRuntime runtime, CaptureRunner runner, DumpStore store,
                            AgentMetrics metrics, Clock clock) {
        this.runtime = runtime;
        this.runner = runner;
        this.store = store;
        this.metrics = metrics;
        this.clock = clock;
        this.node = config.node();
        this.slots = config.slots();
        this.queueCapacity = config.queue();
        this.cooldown = config.cooldown();
        this.workers = Executors.newCachedThreadPool(Thread.ofPlatform().name("capture-", 1).factory());
        this.journal = new CaptureJournal(store.root(), node);
        this.deadline = config.execTimeout().plus(DEADLINE_MARGIN);
        journal.recover(store, clock);
        restoreCooldowns();
    }

    /** A restart (a rollout) must not let a container be captured again inside its cooldown. */
    private void restoreCooldowns() {
        Instant since = clock.instant().minus(cooldown);
        for (CaptureInfo info : store.all()) {
            if (info.end() == null || info.outcome() == null || !CaptureResult.reachedContainer(info.outcome())) {
                continue;
            }
            try {
                Instant end = Instant.parse(info.end());
                if (end.isAfter(since)) {
                    lastCapture.put(Capture.key(info.namespace(), info.pod(), info.container()), new LastCapture(info.captureId(), end));
                }
            } catch (DateTimeParseException e) {
                // a hand-edited header: no cooldown from it
            }
        }
    }

    /** The runtime as logs, dump headers and {@code /health} name it. */
    public String runtimeName() {
        return runtime.name();
    }

    /** Decides at once. Only {@code not-found} and {@code error} need the runtime, and only when nothing cheaper answered. */
    public Admission submit(CaptureRequest request) {
        return submit(request, false);
    }

    /**
     * @param dryRun answer as a real request would be answered, but {@code dry-run} instead of {@code accepted}: the same
     *               checks and the same read-only runtime lookup, no slot or queue place taken, no file written
     */
    public Admission submit(CaptureRequest request, boolean dryRun) {
        Admission answer = decide(request, dryRun);
        metrics.admitted(answer.outcome());
        return answer;
    }

    private Admission decide(CaptureRequest request, boolean dryRun) {
        if (request == null) {
            return Admission.invalid("body must be a JSON object with namespace, pod and container");
        }
        String problem = Names.problem(request.namespace(), request.pod(), request.container(), false);
        if (problem != null) {
            return Admission.invalid(problem);
        }
        String key = Capture.key(request.namespace(), request.pod(), request.container());
        synchronized (this) {
            Admission early = early(key);
            if (early != null) {
                return early;
            }
        }
        // Asked outside the lock: a slow runtime must not hold up other admissions. Everything is checked again below.
        Optional<Target> target;
        try {
            target = find(request);
        } catch (TimeoutException e) {
            LOG.warning("node=" + node + " target=" + key + ": runtime " + runtime.name() + " did not answer within "
                    + FIND_BOUND.toMillis() + " ms");
            return new Admission(Outcome.ERROR, null, runtime.name() + ": the runtime did not answer within "
                    + FIND_BOUND.toMillis() + " ms");
        } catch (RuntimeUnavailableException e) {
            LOG.warning("node=" + node + " target=" + key + ": runtime " + runtime.name() + " unavailable: " + e.getMessage());
            return new Admission(Outcome.ERROR, null, runtime.name() + ": " + e.getMessage());
        } catch (RuntimeException e) {
            // A runtime bug must still give the caller a definite, retryable answer, not a 500.
            LOG.log(Level.SEVERE, "node=" + node + " target=" + key + ": runtime " + runtime.name() + " failed", e);
            return new Admission(Outcome.ERROR, null, runtime.name() + ": " + e);
        }
        if (target.isEmpty()) {
            String detail = runtime.notFound(request.namespace(), request.pod(), request.container());
            LOG.info("node=" + node + " target=" + key + ": not-found: " + detail);
            return new Admission(Outcome.NOT_FOUND, null, detail);
        }
        if (dryRun) {
            return new Admission(Outcome.DRY_RUN, null, "a capture would be accepted for " + target.get().name());
        }
        Capture capture;
        boolean runNow;
        synchronized (this) {
            Admission early = early(key);
            if (early != null) {
                return early;
            }
            CaptureRequest.Alert alert = request.alert();
            capture = new Capture(newId(), request.namespace(), request.pod(), request.container(),
                    alert == null ? null : alert.name(), alert == null ? null : alert.value(), clock.instant().truncatedTo(ChronoUnit.MILLIS));
            active.put(key, capture);
            runNow = running < slots;
            if (runNow) {
                running++;
            } else {
                queue.addLast(capture);
            }
        }
        journal.admitted(capture);
        LOG.info(capture.log(node) + (runNow ? "accepted" : "accepted, queued") + " (container " + target.get().name() + ")");
        if (runNow) {
            dispatch(capture);
        }
        return Admission.of(Outcome.ACCEPTED, capture.id);
    }

    /** The runtime's lookup, bounded by {@link #FIND_BOUND}; runtime exceptions come through unchanged. */
    private Optional<Target> find(CaptureRequest request) throws TimeoutException {
        Future<Optional<Target>> lookup = lookups.submit(() -> runtime.find(request.namespace(), request.pod(), request.container()));
        try {
            return lookup.get(FIND_BOUND.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            lookup.cancel(true);
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            lookup.cancel(true);
            throw new RuntimeUnavailableException("interrupted while asking the runtime");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The answers that need no runtime call, in order. Caller holds the lock. */
    private Admission early(String key) {
        if (stopping) {
            return Admission.of(Outcome.STOPPING);
        }
        Capture current = active.get(key);
        if (current != null) {
            return Admission.of(Outcome.IN_PROGRESS, current.id);
        }
        LastCapture last = lastCapture.get(key);
        if (last != null && clock.instant().isBefore(last.end.plus(cooldown))) {
            return Admission.of(Outcome.COOLDOWN, last.id);
        }
        if (running >= slots && queue.size() >= queueCapacity) {
            return Admission.of(Outcome.BUSY);
        }
        return null;
    }

    private String newId() {
        byte[] bytes = new byte[8];
        while (true) {
            random.nextBytes(bytes);
            String id = HexFormat.of().formatHex(bytes);
            if (!isActive(id) && !store.contains(id)) {
                return id;
            }
        }
    }

    private void dispatch(Capture capture) {
        try {
            workers.execute(() -> runCapture(capture));
        } catch (RejectedExecutionException e) {
            record(capture, CaptureResult.without(CaptureResult.INTERRUPTED, null, "the agent stopped before the capture ran",
                    clock.instant()), Duration.ZERO);
            finished(capture, false);
        }
    }

    private void runCapture(Capture capture) {
        // A pooled thread may carry an interrupt the watchdog aimed at its previous capture.
        Thread.interrupted();
        capture.runOn(Thread.currentThread());
        Instant started = clock.instant();
        ScheduledFuture<?> overdue = watchdog.schedule(() -> overdue(capture, started), deadline.toMillis(), TimeUnit.MILLISECONDS);
        CaptureResult result;
        try {
            result = runner.run(capture);
        } catch (RuntimeException | Error e) {
            LOG.log(Level.SEVERE, capture.log(node) + "capture failed unexpectedly", e);
            result = CaptureResult.without(CaptureResult.ERROR, null, "internal error: " + e, clock.instant());
        }
        // Shutdown may have interrupted us; the file must still be written (NIO file writes refuse interrupted threads).
        Thread.interrupted();
        overdue.cancel(false);
        boolean written = record(capture, result, Duration.between(started, clock.instant()));
        finished(capture, written && result.reachedContainer());
    }

    /**
     * The capture did not end within --exec-timeout + {@link #DEADLINE_MARGIN}: the runtime stalls (it neither ends
     * the script nor answers). Records it as timed out, frees its slot at once (no cooldown: nothing was captured),
     * and interrupts its thread, which ends when the runtime lets it; what it returns then is not recorded again.
     */
    private void overdue(Capture capture, Instant started) {
        if (!capture.claimRecord()) {
            return;
        }
        String why = "the capture did not end within --exec-timeout=" + deadline.minus(DEADLINE_MARGIN).toMillis()
                + "ms + " + DEADLINE_MARGIN.toSeconds() + " s: the runtime " + runtime.name()
                + " did not end it (it does not answer); its slot was freed, the script may still run in the target";
        LOG.warning(capture.log(node) + why);
        writeRecord(capture, CaptureResult.without(CaptureResult.TIMED_OUT, null, why, clock.instant()),
                Duration.between(started, clock.instant()));
        Thread worker = capture.worker();
        if (worker != null) {
            worker.interrupt();
        }
        finished(capture, false);
    }

    /**
     * Writes the capture's dump once. When it cannot be written (disk full), the capture is kept in memory as
     * {@code error} with the reason, counted as such, and the caller sets no cooldown: a retry can capture again.
     * Returns whether the dump is on disk.
     */
    private boolean record(Capture capture, CaptureResult result, Duration took) {
        return capture.claimRecord() && writeRecord(capture, result, took);
    }

    /** {@link #record} for the one who claimed the capture's record. */
    private boolean writeRecord(Capture capture, CaptureResult result, Duration took) {
        boolean written;
        String outcome = result.outcome();
        try {
            store.write(capture, result);
            written = true;
        } catch (IOException | RuntimeException e) {
            written = false;
            outcome = CaptureResult.ERROR;
            String why = "the dump could not be written: " + (e.getMessage() == null ? e.toString() : e.getMessage())
                    + (result.error() == null ? "" : "; the capture itself: " + result.outcome() + ", " + result.error());
            if (e instanceof IOException) {
                LOG.severe(capture.log(node) + why);
            } else {
                LOG.log(Level.SEVERE, capture.log(node) + why, e);
            }
            store.recordUnwritten(capture, new CaptureResult(CaptureResult.ERROR, result.containerId(), result.dumpTool(),
                    result.exitCode(), result.end(), new byte[0], new byte[0], why));
        }
        journal.recorded(capture);
        metrics.captured(outcome, took);
        return written;
    }

    /** Gives the slot back (to the next queued capture, if any) once the file is written. */
    private void finished(Capture capture, boolean reachedContainer) {
        Capture next = null;
        synchronized (this) {
            if (active.remove(capture.key(), capture)) {
                if (reachedContainer) {
                    lastCapture.put(capture.key(), new LastCapture(capture.id, clock.instant()));
                }
                running--;
                if (!stopping) {
                    next = queue.pollFirst();
                    if (next != null) {
                        running++;
                    }
                }
                forgetExpiredCooldowns();
                notifyAll();
            }
        }
        if (next != null) {
            dispatch(next);
        }
    }

    private void forgetExpiredCooldowns() {
        if (lastCapture.size() > 1024) {
            Instant since = clock.instant().minus(cooldown);
            lastCapture.values().removeIf(last -> last.end.isBefore(since));
        }
    }

    /**
     * Stops admitting ({@code stopping}), records queued captures as interrupted, lets running ones finish within
     * {@code grace}, then interrupts the rest (the runtime ends their scripts and they remove what they copied) and
     * records them as interrupted. Returns when every accepted capture has its file, or the extra time is up.
     */
    public void shutdown(Duration grace) {
        List<Capture> queued;
        synchronized (this) {
            if (stopping) {
                return;
            }
            stopping = true;
            queued = new ArrayList<>(queue);
            queue.clear();
        }
        LOG.info("node=" + node + " stopping: " + queued.size() + " queued captures interrupted, " + running()
                + " running get " + grace.toMillis() + " ms");
        for (Capture c : queued) {
            record(c, CaptureResult.without(CaptureResult.INTERRUPTED, null, "the agent stopped before the capture ran",
                    clock.instant()), Duration.ZERO);
            synchronized (this) {
                active.remove(c.key(), c);
            }
        }
        if (!awaitIdle(grace)) {
            List<Capture> stuck = runningCaptures();
            LOG.warning("node=" + node + " grace period over: interrupting " + stuck.size() + " running captures");
            for (Capture c : stuck) {
                Thread worker = c.worker();
                if (worker != null) {
                    worker.interrupt();
                }
            }
            if (!awaitIdle(AFTER_INTERRUPT)) {
                for (Capture c : runningCaptures()) {
                    LOG.warning(c.log(node) + "did not end after an interrupt; recording it as interrupted");
                    record(c, CaptureResult.without(CaptureResult.INTERRUPTED, null,
                            "the agent stopped before the capture finished", clock.instant()), Duration.ZERO);
                }
            }
        }
        workers.shutdownNow();
        watchdog.shutdownNow();
        lookups.shutdownNow();
        try {
            workers.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized boolean awaitIdle(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (running > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    private synchronized List<Capture> runningCaptures() {
        return active.values().stream().filter(Capture::running).toList();
    }

    /** Captures that wait or run, then finished ones, newest first. */
    public List<CaptureInfo> list(String namespace, String pod, int limit) {
        List<CaptureInfo> out = new ArrayList<>();
        synchronized (this) {
            active.values().stream()
                    .filter(c -> (namespace == null || namespace.equals(c.namespace)) && (pod == null || pod.equals(c.pod)))
                    .sorted(Comparator.comparing((Capture c) -> c.accepted).reversed())
                    .map(c -> new CaptureInfo(c.id, node, c.namespace, c.pod, c.container, DumpStore.iso(c.accepted),
                            null, null, null, null, null))
                    .forEach(out::add);
        }
        out.addAll(store.list(namespace, pod, limit));
        out.sort(Comparator.comparing((CaptureInfo i) -> Instant.parse(i.start())).reversed());
        return out.size() > limit ? List.copyOf(out.subList(0, limit)) : out;
    }

    public synchronized boolean isActive(String id) {
        return active.values().stream().anyMatch(c -> c.id.equals(id));
    }

    public synchronized boolean stopping() {
        return stopping;
    }

    public synchronized long running() {
        return running;
    }

    public synchronized long queued() {
        return queue.size();
    }

    public long slots() {
        return slots;
    }

    public long queueCapacity() {
        return queueCapacity;
    }
}
