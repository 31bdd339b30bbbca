package dev.jdd.agent;

import dev.jdd.agent.runtime.ContainerRuntime;
import dev.jdd.agent.runtime.RuntimeUnavailableException;
import dev.jdd.agent.runtime.Target;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The folders that captures copied into containers and could not remove (the runtime stalled or failed): tried
 * again every {@code period}, until removed, until the container is gone (its filesystem goes with it), or for
 * {@code tries} tries, each end with a log line. Uses only {@link ContainerRuntime#find} and
 * {@link ContainerRuntime#removeFolder}, so it works the same on every runtime. The timer starts with the first
 * folder; it lives in memory only.
 */
final class LeftoverFolders implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LeftoverFolders.class.getName());
    /** How often a left folder is tried again. */
    static final Duration PERIOD = Duration.ofSeconds(10);
    /** Tries before a folder is given up (with {@link #PERIOD}, 10 minutes). */
    static final int TRIES = 60;

    /** A folder in {@code target}, which is the container that kubelet labelled with these names. */
    private record Leftover(String namespace, String pod, String container, Target target, String folder, String log) {
    }

    private final ContainerRuntime runtime;
    private final Duration period;
    private final int tries;
    // Guarded by this: each folder with the tries it has had.
    private final Map<Leftover, Integer> pending = new LinkedHashMap<>();
    private ScheduledExecutorService timer;
    private boolean closed;

    LeftoverFolders(ContainerRuntime runtime, Duration period, int tries) {
        this.runtime = runtime;
        this.period = period;
        this.tries = tries;
    }

    LeftoverFolders(ContainerRuntime runtime) {
        this(runtime, PERIOD, TRIES);
    }

    /** Remembers a folder that the capture could not remove from {@code target}; {@code log} is the capture's log prefix. */
    void add(Capture capture, Target target, String folder, String log) {
        synchronized (this) {
            if (closed) {
                LOG.warning(log + folder + " stays in " + target.name() + ": the agent is stopping");
                return;
            }
            pending.put(new Leftover(capture.namespace, capture.pod, capture.container, target, folder, log), 0);
            if (timer == null) {
                timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("jdd-leftovers").daemon().factory());
                timer.scheduleWithFixedDelay(this::retryLogged, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
        LOG.warning(log + "could not remove " + folder + " from " + target.name() + "; trying again every "
                + period.toSeconds() + " s");
    }

    /** How many folders wait for another try. */
    synchronized int size() {
        return pending.size();
    }

    /** One round: tries every waiting folder once. The timer calls it; tests call it directly. */
    void retry() {
        List<Leftover> round;
        synchronized (this) {
            round = List.copyOf(pending.keySet());
        }
        for (Leftover leftover : round) {
            boolean settled = settle(leftover);
            synchronized (this) {
                int tried = pending.getOrDefault(leftover, 0) + 1;
                if (settled) {
                    pending.remove(leftover);
                } else if (tried >= tries) {
                    pending.remove(leftover);
                    LOG.warning(leftover.log() + "gave up removing " + leftover.folder() + " from " + leftover.target().name()
                            + " after " + tried + " tries; it stays in the container until the container ends");
                } else {
                    pending.put(leftover, tried);
                }
            }
        }
    }

    /** Whether the folder is done with: removed, or its container is gone. */
    private boolean settle(Leftover leftover) {
        Optional<Target> now;
        try {
            now = runtime.find(leftover.namespace(), leftover.pod(), leftover.container());
        } catch (RuntimeUnavailableException e) {
            return false; // the runtime still does not answer
        }
        if (now.isEmpty() || !now.get().id().equals(leftover.target().id())) {
            LOG.info(leftover.log() + "container " + leftover.target().name() + " is gone, and " + leftover.folder() + " with it");
            return true;
        }
        if (runtime.removeFolder(leftover.target(), leftover.folder())) {
            LOG.info(leftover.log() + "removed " + leftover.folder() + " from " + leftover.target().name() + " on a later try");
            return true;
        }
        return false;
    }

    private void retryLogged() {
        try {
            retry();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "retrying left folders failed (tried again in " + period.toSeconds() + " s)", e);
        }
    }

    /** Stops the timer; folders still waiting are named in the log. */
    @Override
    public void close() {
        List<Leftover> left;
        synchronized (this) {
            closed = true;
            if (timer != null) {
                timer.shutdownNow();
            }
            left = List.copyOf(pending.keySet());
            pending.clear();
        }
        for (Leftover leftover : left) {
            LOG.warning(leftover.log() + leftover.folder() + " stays in " + leftover.target().name() + ": the agent is stopping");
        }
    }
}
