package dev.jdd.agent.runtime;

/** What a command run in a target left: exit code (-1 when it was ended), stdout, stderr, whether it timed out. */
public record ExecResult(int exitCode, byte[] stdout, byte[] stderr, boolean timedOut) {
}
