package dev.jdd.agent;

import dev.jdd.agent.profile.Profile;
import java.time.Instant;

/**
 * How a capture ended.
 *
 * @param outcome     {@code ok}, {@code failed}, {@code timed-out}, {@code interrupted}, {@code not-found} or {@code error}
 * @param containerId the runtime's id of the target, or null when it was not found
 * @param dumpTool    the dump tool that dumped the threads (craw.sh's {@code # engine:} line, a name the dump
 *                    header keeps), or null
 * @param exitCode    craw.sh's exit code, or null when it did not run or was ended
 * @param end         when the capture ended
 * @param stdout      craw.sh's output (empty when it did not run)
 * @param stderr      craw.sh's diagnostics
 * @param error       why the capture failed, or null when it is ok
 * @param profile     the JFR profile taken during the capture, or null when the capture never reached a target
 * @param stdoutCut   whether the runtime cut stdout at its cap (the dump header then says so)
 */
record CaptureResult(String outcome, String containerId, String dumpTool, Integer exitCode, Instant end, byte[] stdout,
                     byte[] stderr, String error, Profile profile, boolean stdoutCut) {

    CaptureResult(String outcome, String containerId, String dumpTool, Integer exitCode, Instant end, byte[] stdout,
                  byte[] stderr, String error) {
        this(outcome, containerId, dumpTool, exitCode, end, stdout, stderr, error, null, false);
    }

    static final String OK = "ok";
    static final String FAILED = "failed";
    static final String TIMED_OUT = "timed-out";
    static final String INTERRUPTED = "interrupted";
    static final String NOT_FOUND = "not-found";
    static final String ERROR = "error";
    static final java.util.List<String> OUTCOMES = java.util.List.of(OK, FAILED, TIMED_OUT, INTERRUPTED, NOT_FOUND, ERROR);

    static CaptureResult without(String outcome, String containerId, String error, Instant end) {
        return new CaptureResult(outcome, containerId, null, null, end, new byte[0], new byte[0], error);
    }

    CaptureResult withProfile(Profile with) {
        return new CaptureResult(outcome, containerId, dumpTool, exitCode, end, stdout, stderr, error, with, stdoutCut);
    }

    CaptureResult withStdoutCut(boolean cut) {
        return new CaptureResult(outcome, containerId, dumpTool, exitCode, end, stdout, stderr, error, profile, cut);
    }

    /** Whether the capture reached the container, so that the cooldown applies to it. */
    boolean reachedContainer() {
        return reachedContainer(outcome);
    }

    static boolean reachedContainer(String outcome) {
        return outcome.equals(OK) || outcome.equals(FAILED) || outcome.equals(TIMED_OUT);
    }
}
