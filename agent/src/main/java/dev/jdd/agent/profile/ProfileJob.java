package dev.jdd.agent.profile;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A profile being recorded; {@link #await()} gives it, or why not, by its deadline (the interval plus the bound). */
public final class ProfileJob {
    /** How long an interrupted caller waits for the worker to stop the recording and clean up (a 1 s JFR.stop, removal). */
    private static final Duration CLEAN_UP = Duration.ofSeconds(2);
    private final CompletableFuture<Profile> result;
    private final long deadline;
    private final Thread worker;

    ProfileJob(CompletableFuture<Profile> result, long deadline, Thread worker) {
        this.result = result;
        this.deadline = deadline;
        this.worker = worker;
    }

    /** A job that is already done: {@code --profile=off}, or nothing to profile. */
    public static ProfileJob done(Profile profile) {
        return new ProfileJob(CompletableFuture.completedFuture(profile), System.nanoTime(), null);
    }

    /**
     * The profile, waiting at most until the deadline. Late or interrupted (the agent stops), it is unavailable; the
     * recording then still cleans up after itself on its own thread; interrupted, the caller has the worker stop the
     * recording at once and waits up to 2 s for that. Keeps the caller's interrupt flag.
     */
    public Profile await() {
        if (result.isDone() || !Thread.currentThread().isInterrupted()) {
            try {
                return result.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException e) {
                return Profile.unavailable("internal error: " + e.getCause());
            } catch (TimeoutException e) {
                return Profile.unavailable("not recorded within the interval plus " + JfrProfiler.BOUND.toSeconds() + " s");
            }
        }
        if (worker != null) {
            // The agent is stopping: the worker stops the recording and removes its folder before the process exits.
            worker.interrupt();
            boolean interrupted = Thread.interrupted();
            try {
                worker.join(CLEAN_UP.toMillis());
            } catch (InterruptedException e) {
                interrupted = true;
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        return Profile.unavailable("the agent stopped before the profile was read");
    }
}
