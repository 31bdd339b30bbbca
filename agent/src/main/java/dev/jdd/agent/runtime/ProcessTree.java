package dev.jdd.agent.runtime;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Ends a process the agent started on the node, and everything that process started. */
public final class ProcessTree {
    private ProcessTree() {
    }

    /**
     * The descendants are listed while the process still lives (after it dies they are re-parented and no longer
     * findable). The process first gets SIGTERM and up to {@code grace} to end its own children and remove its
     * temporary files (craw.sh traps it); then whatever is left of the tree is killed. Waits up to 5 s for the
     * process to be gone; the caller's interrupt flag is kept.
     */
    public static void end(Process process, Duration grace) {
        List<ProcessHandle> tree = process.descendants().toList();
        boolean interrupted = Thread.interrupted();
        if (!grace.isZero()) {
            process.destroy();
            try {
                process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        process.destroyForcibly();
        for (ProcessHandle child : tree) {
            List<ProcessHandle> below = child.descendants().toList();
            child.destroyForcibly();
            below.forEach(ProcessHandle::destroyForcibly);
        }
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
