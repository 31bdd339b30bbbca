package dev.jdd.testing;

import java.util.concurrent.CountDownLatch;

/**
 * A JVM with one really hot thread and some idle ones, started as a child process by {@link HotJvm}.
 * Arguments: number of idle threads (default 3), number of hot threads (default 1), stack depth of the idle
 * threads (default 0: they park at once; N: they park N frames deep), then names of further idle threads (any
 * text). Hot threads are named {@code hot-spinner}, {@code hot-spinner-2}, ...; idle ones {@code idle-1}, ...
 * It prints {@code ready <pid>} once every thread runs.
 */
public final class Spinner {
    public static volatile long sink;

    public static void main(String[] args) throws InterruptedException {
        int idle = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int hot = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int depth = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        int named = Math.max(0, args.length - 3);
        CountDownLatch started = new CountDownLatch(idle + hot + named);
        for (int i = 1; i <= hot; i++) {
            Thread t = new Thread(() -> {
                started.countDown();
                spin();
            }, i == 1 ? "hot-spinner" : "hot-spinner-" + i);
            t.setDaemon(true);
            t.start();
        }
        for (int i = 1; i <= idle + named; i++) {
            Thread t = new Thread(() -> {
                started.countDown();
                parkDeep(depth);
            }, i <= idle ? "idle-" + i : args[3 + i - idle - 1]);
            t.setDaemon(true);
            t.start();
        }
        started.await();
        System.out.println("ready " + ProcessHandle.current().pid());
        System.out.flush();
        parkForever();
    }

    static void spin() {
        long x = 0;
        while (true) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            if ((x & 0xFFFFF) == 0) {
                sink = x;
            }
        }
    }

    static void parkDeep(int depth) {
        if (depth > 0) {
            parkDeep(depth - 1);
        } else {
            parkForever();
        }
    }

    static void parkForever() {
        Object lock = new Object();
        synchronized (lock) {
            while (true) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }
}
