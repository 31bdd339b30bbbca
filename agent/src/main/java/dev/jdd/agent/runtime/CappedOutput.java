package dev.jdd.agent.runtime;

import java.io.ByteArrayOutputStream;

/**
 * One output stream of a command (stdout or stderr) as the agent keeps it: at most {@code cap} bytes, the rest
 * dropped. Thread-safe: a reader thread appends while the caller may already take the bytes.
 */
public final class CappedOutput {
    /**
     * What one stream of a capture may bring back, on every runtime: a 50-thread dump of a big JVM is a few MiB at
     * most. A cut stdout is marked ({@link ExecResult#stdoutCut()}) and the dump header says so.
     */
    public static final int DEFAULT_CAP = 16 * 1024 * 1024;

    /** {@code bytes} that a runtime received whole (CRI's ExecSync), cut to {@link #DEFAULT_CAP} like a streamed one. */
    public static byte[] keep(byte[] bytes) {
        return bytes.length <= DEFAULT_CAP ? bytes : java.util.Arrays.copyOf(bytes, DEFAULT_CAP);
    }

    private final int cap;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private long dropped;

    public CappedOutput(int cap) {
        this.cap = cap;
    }

    public synchronized void append(byte[] chunk, int from, int length) {
        int keep = Math.max(0, Math.min(length, cap - bytes.size()));
        bytes.write(chunk, from, keep);
        dropped += length - keep;
    }

    /** What was kept. */
    public synchronized byte[] bytes() {
        return bytes.toByteArray();
    }

    /** How many bytes were dropped at the cap. */
    public synchronized long dropped() {
        return dropped;
    }
}
