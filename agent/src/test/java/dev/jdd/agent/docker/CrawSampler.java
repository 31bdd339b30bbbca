package dev.jdd.agent.docker;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the craw.sh runs that are really running, from outside the agent: the host sees the containers'
 * processes, so it scans the host's {@code /proc} for live processes whose command line holds {@code craw.sh} and
 * that belong to the given containers (by cgroup), and counts distinct sessions (each exec is its own session;
 * the script's subshells share it). A thread samples as fast as it can and keeps the peak.
 */
public final class CrawSampler implements AutoCloseable {
    private final List<String> containerIds;
    private final Thread thread;
    private final AtomicInteger peak = new AtomicInteger();
    private final AtomicLong samples = new AtomicLong();
    private final AtomicInteger last = new AtomicInteger();
    private volatile boolean running = true;

    public CrawSampler(Collection<String> containerIds) {
        this.containerIds = List.copyOf(containerIds);
        this.thread = new Thread(this::loop, "craw-sampler");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void loop() {
        Set<String> others = new HashSet<>();
        while (running) {
            int n = count(containerIds, others);
            last.set(n);
            peak.accumulateAndGet(n, Math::max);
            samples.incrementAndGet();
        }
    }

    /** Distinct sessions running craw.sh in these containers right now. */
    public static int runningNow(List<String> containerIds) {
        return count(containerIds, new HashSet<>());
    }

    /**
     * {@code others} remembers PIDs whose command line is settled and is not craw.sh, so that a sample reads only
     * new processes and craw.sh ones. A process still in {@code runc init} (an exec being set up) or without a
     * command line yet is looked at again. PIDs that went away are forgotten, so a reused PID is read afresh.
     */
    private static int count(List<String> containerIds, Set<String> others) {
        Set<String> sessions = new HashSet<>();
        Set<String> seen = new HashSet<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> isPid(p.getFileName().toString()))) {
            for (Path p : procs) {
                String pid = p.getFileName().toString();
                seen.add(pid);
                if (others.contains(pid)) {
                    continue;
                }
                try {
                    byte[] cmdline = Files.readAllBytes(p.resolve("cmdline"));
                    if (!contains(cmdline, "craw.sh")) {
                        if (cmdline.length > 0 && !contains(cmdline, "runc")) {
                            others.add(pid);
                        }
                        continue;
                    }
                    String stat = Files.readString(p.resolve("stat"));
                    String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    if (after[0].equals("Z") || after[0].equals("X")) {
                        continue;
                    }
                    String cgroup = Files.readString(p.resolve("cgroup"));
                    if (containerIds.stream().anyMatch(cgroup::contains)) {
                        sessions.add(after[3]);
                    }
                } catch (IOException | RuntimeException e) {
                    // the process ended meanwhile
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        others.retainAll(seen);
        return sessions.size();
    }

    private static boolean isPid(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            if (name.charAt(i) < '0' || name.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static boolean contains(byte[] haystack, String needle) {
        byte[] n = needle.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + n.length <= haystack.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (haystack[i + j] != n[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    public int peak() {
        return peak.get();
    }

    public long samples() {
        return samples.get();
    }

    public int last() {
        return last.get();
    }

    /** Waits until no craw.sh runs in the containers (or the time is up); true when none does. */
    public boolean awaitNone(long millis) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() < end) {
            if (runningNow(containerIds) == 0) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Host PIDs and command lines of live processes in this container whose command line holds {@code marker}. */
    public static List<String> inContainer(String containerId, String marker) {
        List<String> found = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> isPid(p.getFileName().toString()))) {
            for (Path p : procs) {
                try {
                    String cmd = Files.readString(p.resolve("cmdline")).replace('\0', ' ');
                    if (!cmd.contains(marker) || !Files.readString(p.resolve("cgroup")).contains(containerId)) {
                        continue;
                    }
                    String stat = Files.readString(p.resolve("stat"));
                    if (!stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z")) {
                        found.add(p.getFileName() + " " + cmd.strip());
                    }
                } catch (IOException | RuntimeException e) {
                    // gone meanwhile
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return found;
    }
}
