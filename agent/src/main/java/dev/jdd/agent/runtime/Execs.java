package dev.jdd.agent.runtime;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/** What the container runtimes share about their execs: names no one can guess, and ending an exec's processes. */
public final class Execs {
    /** After TERM, how long an exec's processes get to end (craw.sh removes its files) before KILL. */
    public static final Duration GRACE = Duration.ofSeconds(1);
    private static final int KILL_ROUNDS = 20;
    private static final long PAUSE_MILLIS = 100;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Execs() {
    }

    /** {@code prefix} and 16 random hex digits: the name of an exec's folder or token. */
    public static String randomName(String prefix) {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return prefix + HexFormat.of().formatHex(bytes);
    }

    public enum Signal {
        TERM, KILL,
        /** None: only list the live processes. */
        NONE
    }

    /** The processes of one exec, as its runtime sees them. */
    @FunctionalInterface
    public interface Processes<P, E extends Exception> {
        /** Sends {@code signal} to the live processes and returns them. */
        List<P> signal(Signal signal) throws E;
    }

    /**
     * TERM, up to {@link #GRACE} for the processes to go, then KILL until none is left (20 rounds, 100 ms apart). An
     * interrupt does not stop the rounds halfway: the flag is set again for the caller, and the waits end early.
     *
     * @return the processes still alive after the last round; empty when all went
     */
    public static <P, E extends Exception> List<P> termThenKill(Processes<P, E> processes) throws E {
        List<P> left = processes.signal(Signal.TERM);
        long graceEnd = System.nanoTime() + GRACE.toNanos();
        while (!left.isEmpty() && System.nanoTime() < graceEnd) {
            pause();
            left = processes.signal(Signal.NONE);
        }
        for (int round = 0; !left.isEmpty() && round < KILL_ROUNDS; round++) {
            processes.signal(Signal.KILL);
            pause();
            left = processes.signal(Signal.NONE);
        }
        return left;
    }

    private static void pause() {
        try {
            Thread.sleep(PAUSE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
