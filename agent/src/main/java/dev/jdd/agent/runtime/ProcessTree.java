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
     * process to be gone and 2 s more for the rest of the tree; the caller's interrupt flag is kept.
     *
     * @return null when the whole tree is gone, else why not (for the capture's outcome)
     */
    public static String end(Process process, Duration grace) {
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
        List<Long> left = List.of();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
            left = alive(process, tree);
            for (int i = 0; i < 20 && !left.isEmpty(); i++) {
                Thread.sleep(100);
                left = alive(process, tree);
            }
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return left.isEmpty() ? null : "processes " + left + " still run after SIGKILL";
    }

    private static List<Long> alive(Process process, List<ProcessHandle> tree) {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(process.toHandle()), tree.stream())
                .filter(ProcessHandle::isAlive).map(ProcessHandle::pid).toList();
    }
}
