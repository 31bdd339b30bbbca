package dev.jdd.testing;

/**
 * A JVM whose one hot thread ({@code hot-spinner}) spends about 70% of its CPU time in {@link #seventy} and 30% in
 * {@link #thirty} (7 and 3 equal amounts of work, over and over); {@code idle-1} ... park. Argument: number of idle threads
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
        burn(7);
    }

    static void thirty() {
        burn(3);
    }

    /**
     * Computes {@code units} fixed amounts of work: the shares follow the CPU time spent, however the machine
     * schedules the thread (a split by the clock would follow the scheduler on a busy machine).
     */
    private static void burn(int units) {
        long x = sink;
        for (int u = 0; u < units; u++) {
            // A long counter: the loop keeps its safepoint poll, so samplers can walk the stack inside it.
            for (long i = 0; i < 100_000; i++) {
                x = x * 6364136223846793005L + 1442695040888963407L;
            }
        }
        sink = x;
    }
}
