package dev.jdd.agent;

import dev.jdd.agent.node.NodeEngine;
import dev.jdd.agent.runtime.ExecResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A hand-written node engine for tests: records which pids it captured and answers what it is told. */
final class FakeNodeEngine implements NodeEngine {
    final List<Long> captured = new CopyOnWriteArrayList<>();
    /** What {@link #cannotCapture} answers: null when the node engine can capture. */
    volatile String cannotCapture;
    volatile int exitCode;
    volatile String stdout = "# jdd-capture: 1\n# pid: 1\n# engine: node\n#\n#1 cpu=99.0% tid=7 \"hot-spinner\" RUNNABLE\n";
    volatile String stderr = "";

    @Override
    public ExecResult capture(long containerPid, int threads, Duration interval, boolean fullDump, Duration timeout) {
        captured.add(containerPid);
        return new ExecResult(exitCode, exitCode == 0 ? stdout.getBytes(StandardCharsets.UTF_8) : new byte[0],
                stderr.getBytes(StandardCharsets.UTF_8), false);
    }

    @Override
    public String cannotCapture(long containerPid) {
        return cannotCapture;
    }
}
