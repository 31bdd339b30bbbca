package dev.jdd.testing;

/**
 * A JVM whose one hot thread ({@code hot-spinner}) spends about 70% of its time in {@link #seventy} and 30% in
 * {@link #thirty}, by the clock, in slices of 10 ms; {@code idle-1} ... park. Argument: number of idle threads
 * (default 3). Prints {@code ready <pid>} once every thread runs. For checking a CPU profile's shares.
 */
public final class SplitSpinner {
    public static volatile long sink;

    public static void main(String[] args) throws InterruptedException {
        int idle = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        Thread hot = new Thread(() -> {
            while (true) {
                seventy();
                thirty();
            }
        }, "hot-spinner");
        hot.setDaemon(true);
        hot.start();
        for (int i = 1; i <= idle; i++) {
            Thread t = new Thread(Spinner::parkForever, "idle-" + i);
            t.setDaemon(true);
            t.start();
        }
        System.out.println("ready " + ProcessHandle.current().pid());
        System.out.flush();
        Spinner.parkForever();
    }

    static void seventy() {
        burn(7_000_000L);
    }

    static void thirty() {
        burn(3_000_000L);
    }

    /** Computes for {@code nanos} of wall time (on a busy machine, the shares of CPU time follow the same 7:3). */
    private static void burn(long nanos) {
        long end = System.nanoTime() + nanos;
        long x = sink;
        do {
            for (int i = 0; i < 10_000; i++) {
                x = x * 6364136223846793005L + 1442695040888963407L;
            }
        } while (System.nanoTime() < end);
        sink = x;
    }
}
