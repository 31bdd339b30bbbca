package dev.jdd.agent.node;

import dev.jdd.agent.runtime.ExecResult;
import java.time.Duration;

/** What the capture runner needs of the node engine; {@link NodeCapture} is the real one. */
public interface NodeEngine {
    /**
     * Captures the JVM of the container whose process (as the node sees it) is {@code containerPid}: craw.sh's
     * output format and exit codes, or a timed-out result once {@code timeout} has passed.
     */
    ExecResult capture(long containerPid, int threads, Duration interval, boolean fullDump, Duration timeout)
            throws InterruptedException;

    /**
     * Why the node engine cannot capture that container, as far as the node can tell before sampling (its processes
     * not visible, no JVM among them, a JVM that refuses attach from the node), or null when it can.
     */
    String cannotCapture(long containerPid);
}
