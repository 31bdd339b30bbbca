package dev.jdd.agent.runtime;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What a command run in a target left: exit code (-1 when it was ended), stdout, stderr, whether it timed out, and,
 * when it timed out and the runtime could not end it (the runtime stalled, a process survived KILL), why not
 * ({@code endFailure}; null when it was ended or ended by itself): then it may still run in the target; and whether
 * stdout was cut at {@link CappedOutput#DEFAULT_CAP} ({@code stdoutCut}: what came beyond it was dropped).
 */
public record ExecResult(int exitCode, byte[] stdout, byte[] stderr, boolean timedOut, String endFailure,
                         boolean stdoutCut) {
    /** A command that ended by itself, or was ended, with all of its stdout. */
    public ExecResult(int exitCode, byte[] stdout, byte[] stderr, boolean timedOut) {
        this(exitCode, stdout, stderr, timedOut, null, false);
    }

    /** A command whose stdout was kept whole. */
    public ExecResult(int exitCode, byte[] stdout, byte[] stderr, boolean timedOut, String endFailure) {
        this(exitCode, stdout, stderr, timedOut, endFailure, false);
    }

    /** This result with {@code line} before its stderr: a diagnostic of the agent's that came before the command. */
    public ExecResult withStderrFirst(String line) {
        byte[] first = line.getBytes(StandardCharsets.UTF_8);
        byte[] joined = Arrays.copyOf(first, first.length + stderr.length);
        System.arraycopy(stderr, 0, joined, first.length, stderr.length);
        return new ExecResult(exitCode, stdout, joined, timedOut, endFailure, stdoutCut);
    }
}
