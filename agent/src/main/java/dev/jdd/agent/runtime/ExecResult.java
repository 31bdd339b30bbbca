package dev.jdd.agent.runtime;

/**
 * What a command run in a target left: exit code (-1 when it was ended), stdout, stderr, whether it timed out, and,
 * when it timed out and the runtime could not end it (the runtime stalled, a process survived KILL), why not
 * ({@code endFailure}; null when it was ended or ended by itself): then it may still run in the target.
 */
public record ExecResult(int exitCode, byte[] stdout, byte[] stderr, boolean timedOut, String endFailure) {
    /** A command that ended by itself, or was ended. */
    public ExecResult(int exitCode, byte[] stdout, byte[] stderr, boolean timedOut) {
        this(exitCode, stdout, stderr, timedOut, null);
    }
}
