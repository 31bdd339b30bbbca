package dev.jdd.agent.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the few /proc files the node engine needs. Parsing is static and pure so that it is tested on
 * fixed text; reading goes through {@link #proc} so that the whole engine can be pointed at another root.
 */
final class ProcFs {
    /** Clock ticks per second of the utime/stime fields: USER_HZ, fixed at 100 by the Linux ABI. */
    static final int USER_HZ = 100;

    private final Path proc;

    ProcFs(Path proc) {
        this.proc = proc;
    }

    Path proc() {
        return proc;
    }

    Path pid(long pid) {
        return proc.resolve(Long.toString(pid));
    }

    Path task(long pid, long tid) {
        return pid(pid).resolve("task").resolve(Long.toString(tid));
    }

    /** The whole file as text (files under /proc are small and report size 0, so read them whole). */
    static String read(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
    }

    /** One line of /proc/P/stat or /proc/P/task/T/stat. */
    record TaskStat(long id, String comm, char state, long cpuTicks, long startTicks) {
    }

    /**
     * Parses a stat line. The command name sits in parentheses and may itself hold spaces and parentheses,
     * so it runs from the first '(' to the last ')'.
     */
    static TaskStat parseStat(String line) {
        int open = line.indexOf('(');
        int close = line.lastIndexOf(')');
        if (open < 1 || close < open || close + 2 >= line.length()) {
            throw new IllegalArgumentException("not a /proc stat line: " + abbreviate(line));
        }
        long id = Long.parseLong(line.substring(0, open).trim());
        String comm = line.substring(open + 1, close);
        String[] f = line.substring(close + 2).trim().split(" ");
        // After the name: [0] state (field 3) ... [11] utime (14), [12] stime (15) ... [19] starttime (22).
        if (f.length < 20) {
            throw new IllegalArgumentException("short /proc stat line: " + abbreviate(line));
        }
        long cpu = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        return new TaskStat(id, comm, f[0].charAt(0), cpu, Long.parseLong(f[19]));
    }

    /** The value of a {@code Key:\tvalue} line of a status file, or null. */
    static String statusField(String status, String key) {
        String prefix = key + ":";
        for (String line : status.split("\n")) {
            if (line.startsWith(prefix)) {
                return line.substring(prefix.length()).trim();
            }
        }
        return null;
    }

    /**
     * The innermost namespace id from {@code NSpid:} (the id the process or thread has inside its
     * container), or {@code fallback} on kernels without NSpid (before 4.1).
     */
    static long innermostNsId(String status, long fallback) {
        String value = statusField(status, "NSpid");
        if (value == null || value.isEmpty()) {
            return fallback;
        }
        String[] ids = value.split("\\s+");
        return Long.parseLong(ids[ids.length - 1]);
    }

    /** The effective id (second column) of a {@code Uid:} or {@code Gid:} line. */
    static int effectiveId(String status, String key) {
        String value = statusField(status, key);
        if (value == null) {
            throw new IllegalArgumentException("no " + key + " line in status");
        }
        return Integer.parseInt(value.split("\\s+")[1]);
    }

    /** Whether bit {@code signal} is set in a hex signal mask line such as {@code SigCgt:} of a status file. */
    static boolean signalInMask(String status, String key, int signal) {
        String value = statusField(status, key);
        if (value == null) {
            return false;
        }
        // 64-bit masks, printed as 16 hex digits; the classic signals sit in the low half.
        String low = value.length() > 8 ? value.substring(value.length() - 8) : value;
        return (Long.parseLong(low, 16) & (1L << (signal - 1))) != 0;
    }

    static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
