package dev.jdd.agent.profile;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A profile being recorded; {@link #await()} gives it, or why not, by its deadline (the interval plus the bound). */
public final class ProfileJob {
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
     * recording then still cleans up after itself on its own thread (interrupted, it stops the recording at once).
     * Keeps the caller's interrupt flag.
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
            worker.interrupt();
        }
        return Profile.unavailable("the agent stopped before the profile was read");
    }
}
