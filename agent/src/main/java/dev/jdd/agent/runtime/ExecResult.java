package dev.jdd.agent.runtime;

/** What a command run in a target left: exit code (-1 when it was ended), stdout, stderr, whether it timed out. */
public record ExecResult(int exitCode, byte[] stdout, byte[] stderr, boolean timedOut) {
    /**
     * The most stdout bytes a runtime keeps; what comes after is dropped. A result of exactly this size was cut (the
     * dump header then says so).
     */
    public static final int STDOUT_CAP = 16 << 20;
}
