package dev.jdd.agent.node;

import dev.jdd.agent.runtime.ExecResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The node engine: captures a container's JVM from the node, changing nothing inside the container. Finds
 * the JVM among the processes in the container's pid namespace, samples per-thread CPU from the node's
 * {@code /proc} twice over the interval, takes one thread dump through {@link HotSpotAttach}, and renders
 * craw.sh's output format version 1 with the container's own pid and thread ids. Exit codes are craw.sh's:
 * 0 ok, 3 no JVM found, 5 the dump failed.
 */
public final class NodeCapture implements NodeEngine {
    public static final String ENGINE = "node";
    static final int NO_JVM = 3;
    static final int DUMP_FAILED = 5;

    private final ProcFs proc;
    private final HotSpotAttach attach;

    NodeCapture(ProcFs proc, HotSpotAttach attach) {
        this.proc = proc;
        this.attach = attach;
    }

    public static NodeCapture onThisNode() {
        ProcFs proc = new ProcFs(Path.of("/proc"));
        return new NodeCapture(proc, new HotSpotAttach(proc, new ShellKill()));
    }

    /**
     * Captures the JVM in the pid namespace of {@code containerPid} (any process of the container as the node
     * sees it, normally its main one): the {@code threads} busiest threads over {@code interval}, with the
     * complete dump appended when {@code fullDump}. Everything, the interval included, ends within
     * {@code timeout}, after which the capture is reported as timed out.
     */
    @Override
    public ExecResult capture(long containerPid, int threads, Duration interval, boolean fullDump, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Long> jvms;
        try {
            jvms = findJvms(containerPid);
        } catch (IOException e) {
            return failure(NO_JVM, e.getMessage(), false);
        }
        if (jvms.isEmpty()) {
            return failure(NO_JVM, "no JVM found among the processes of the container of process " + containerPid, false);
        }
        long start = System.nanoTime();
        Map<Long, Map<Long, Long>> first = new HashMap<>();
        for (long pid : jvms) {
            first.put(pid, sampleTasks(pid).ticks);
        }
        long sleep = interval.toNanos();
        if (System.nanoTime() + sleep >= deadline) {
            return failure(DUMP_FAILED, "the interval does not fit in the timeout", true);
        }
        TimeUnit.NANOSECONDS.sleep(sleep);
        Sample chosen = null;
        long chosenTicks = -1;
        long end = 0;
        for (long pid : jvms) {
            Sample second = sampleTasks(pid);
            end = System.nanoTime();
            long total = second.busiest(first.get(pid)).stream().mapToLong(Busy::ticks).sum();
            if (second.ticks.isEmpty()) {
                continue;
            }
            if (total > chosenTicks) {
                chosen = second;
                chosenTicks = total;
            }
        }
        if (chosen == null) {
            return failure(NO_JVM, "the JVM of the container of process " + containerPid + " exited during the sample", false);
        }
        double elapsedSeconds = (end - start) / 1e9;
        String note = jvms.size() > 1
                ? "jdd node engine: " + jvms.size() + " JVMs found (host pids " + jvms + "); taking " + chosen.pid
                + ", the busiest over the interval\n"
                : "";
        List<Busy> ranked = chosen.busiest(first.get(chosen.pid));
        String dump;
        long nsPid;
        try {
            nsPid = ProcFs.innermostNsId(ProcFs.read(proc.pid(chosen.pid).resolve("status")), chosen.pid);
            dump = attach.threadDump(chosen.pid, HotSpotAttach.remaining(deadline));
        } catch (AttachException e) {
            boolean timedOut = System.nanoTime() >= deadline;
            return failure(DUMP_FAILED, e.getMessage(), timedOut);
        } catch (IOException e) {
            return failure(NO_JVM, "the JVM (process " + chosen.pid + ") exited during the capture", false);
        }
        String out = render(nsPid, interval, chosen, ranked.subList(0, Math.min(threads, ranked.size())),
                elapsedSeconds, ThreadDump.parse(dump), fullDump ? dump : null);
        return new ExecResult(0, out.getBytes(StandardCharsets.UTF_8), note.getBytes(StandardCharsets.UTF_8), false);
    }

    @Override
    public String cannotCapture(long containerPid) {
        List<Long> jvms;
        try {
            jvms = findJvms(containerPid);
        } catch (IOException e) {
            return e.getMessage();
        }
        if (jvms.isEmpty()) {
            return "no JVM found among the processes of the container of process " + containerPid;
        }
        for (long pid : jvms) {
            String refusal = attach.refusal(pid);
            if (refusal != null) {
                return refusal;
            }
        }
        return null;
    }

    private static ExecResult failure(int code, String message, boolean timedOut) {
        return new ExecResult(timedOut ? -1 : code, new byte[0],
                ("jdd node engine: " + message + "\n").getBytes(StandardCharsets.UTF_8), timedOut);
    }

    /**
     * The JVMs in the pid namespace of {@code containerPid}: processes whose executable (or argv[0]) is named
     * {@code java}; when there is none, processes that map {@code libjvm.so} (custom launchers). A process in
     * the agent's own pid namespace (the node's, with {@code hostPID}) is not in a container: then only that
     * process itself is a candidate, as for {@code --runtime=local}.
     */
    List<Long> findJvms(long containerPid) throws IOException {
        if (containerPid <= 0) {
            throw new IOException("the runtime reported no main process for the container");
        }
        Path ns;
        try {
            ns = Files.readSymbolicLink(proc.pid(containerPid).resolve("ns/pid"));
        } catch (IOException e) {
            throw new IOException("the container's main process " + containerPid + " is gone or not visible"
                    + " (the agent needs hostPID and CAP_SYS_PTRACE): " + e.getMessage());
        }
        if (sameNamespace(proc.proc().resolve("self"), ns)) {
            return namedJava(containerPid) || mapsLibjvm(containerPid) ? List.of(containerPid) : List.of();
        }
        List<Long> members = new ArrayList<>();
        try (DirectoryStream<Path> all = Files.newDirectoryStream(proc.proc())) {
            for (Path p : all) {
                long pid = pidOf(p);
                if (pid > 0 && sameNamespace(p, ns)) {
                    members.add(pid);
                }
            }
        }
        List<Long> byName = members.stream().filter(this::namedJava).toList();
        if (!byName.isEmpty()) {
            return byName;
        }
        return members.stream().filter(this::mapsLibjvm).toList();
    }

    /**
     * The JVM in the container of {@code containerPid} that has used the most CPU so far (its whole life), or 0 when
     * there is none: the profiler must pick one before the interval tells which is busiest now.
     */
    public long likelyBusiestJvm(long containerPid) throws IOException {
        long best = 0;
        long bestTicks = -1;
        for (long pid : findJvms(containerPid)) {
            try {
                long ticks = ProcFs.parseStat(ProcFs.read(proc.pid(pid).resolve("stat"))).cpuTicks();
                if (ticks > bestTicks) {
                    best = pid;
                    bestTicks = ticks;
                }
            } catch (IOException | RuntimeException e) {
                // ended meanwhile
            }
        }
        return best;
    }

    private static long pidOf(Path p) {
        String name = p.getFileName().toString();
        for (int i = 0; i < name.length(); i++) {
            if (!Character.isDigit(name.charAt(i))) {
                return -1;
            }
        }
        return name.isEmpty() ? -1 : Long.parseLong(name);
    }

    private static boolean sameNamespace(Path procPid, Path ns) {
        try {
            return ns.equals(Files.readSymbolicLink(procPid.resolve("ns/pid")));
        } catch (IOException e) {
            return false;
        }
    }

    private boolean namedJava(long pid) {
        try {
            Path exe = Files.readSymbolicLink(proc.pid(pid).resolve("exe"));
            if (exe.getFileName() != null && exe.getFileName().toString().equals("java")) {
                return true;
            }
        } catch (IOException e) {
            // Kernel threads and exited processes have no exe; fall through to argv[0].
        }
        try {
            String cmdline = ProcFs.read(proc.pid(pid).resolve("cmdline"));
            int nul = cmdline.indexOf('\0');
            String argv0 = nul < 0 ? cmdline : cmdline.substring(0, nul);
            return argv0.equals("java") || argv0.endsWith("/java");
        } catch (IOException e) {
            return false;
        }
    }

    private boolean mapsLibjvm(long pid) {
        try {
            return ProcFs.read(proc.pid(pid).resolve("maps")).contains("/libjvm.so");
        } catch (IOException e) {
            return false;
        }
    }

    /** CPU ticks and names per thread (host ids) of one process at one moment. */
    private record Sample(long pid, Map<Long, Long> ticks, Map<Long, String> names) {
        /** Threads of this sample by CPU used since {@code before}, busiest first, then by thread id. */
        List<Busy> busiest(Map<Long, Long> before) {
            List<Busy> list = new ArrayList<>(ticks.size());
            for (Map.Entry<Long, Long> e : ticks.entrySet()) {
                // A thread born during the interval used all of its CPU time within it.
                long used = e.getValue() - (before == null ? 0 : before.getOrDefault(e.getKey(), 0L));
                list.add(new Busy(e.getKey(), Math.max(0, used), names.get(e.getKey())));
            }
            list.sort(Comparator.comparingLong(Busy::ticks).reversed().thenComparingLong(Busy::hostTid));
            return list;
        }
    }

    private record Busy(long hostTid, long ticks, String comm) {
    }

    private Sample sampleTasks(long pid) {
        Map<Long, Long> ticks = new HashMap<>();
        Map<Long, String> names = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(proc.pid(pid).resolve("task"))) {
            for (Path task : tasks) {
                try {
                    ProcFs.TaskStat stat = ProcFs.parseStat(ProcFs.read(task.resolve("stat")));
                    ticks.put(stat.id(), stat.cpuTicks());
                    names.put(stat.id(), stat.comm());
                } catch (IOException | RuntimeException e) {
                    // The thread ended between listing and reading.
                }
            }
        } catch (IOException e) {
            // The process ended: an empty sample.
        }
        return new Sample(pid, ticks, names);
    }

    private long containerTid(long pid, long hostTid) {
        try {
            return ProcFs.innermostNsId(ProcFs.read(proc.task(pid, hostTid).resolve("status")), hostTid);
        } catch (IOException | RuntimeException e) {
            return hostTid;
        }
    }

    private String render(long nsPid, Duration interval, Sample sample, List<Busy> top, double elapsedSeconds,
                          ThreadDump dump, String fullDump) {
        StringBuilder out = new StringBuilder(8192);
        out.append("# jdd-capture: 1\n")
                .append("# pid: ").append(nsPid).append('\n')
                .append("# engine: ").append(ENGINE).append('\n')
                .append("# interval-ms: ").append(interval.toMillis()).append('\n')
                .append("# threads: ").append(sample.ticks.size()).append('\n')
                .append("#\n");
        int rank = 0;
        for (Busy busy : top) {
            long tid = containerTid(sample.pid, busy.hostTid);
            ThreadDump.Block block = dump.byNid(tid);
            double cpu = elapsedSeconds <= 0 ? 0 : busy.ticks / (double) ProcFs.USER_HZ / elapsedSeconds * 100;
            out.append('#').append(++rank)
                    .append(" cpu=").append(String.format(Locale.ROOT, "%.1f", cpu)).append('%')
                    .append(" tid=").append(tid)
                    .append(" \"").append(block != null ? block.name() : busy.comm).append('"');
            if (block != null && block.state() != null) {
                out.append(' ').append(block.state());
            }
            out.append('\n');
            if (block != null) {
                out.append(block.text()).append('\n');
            }
            out.append('\n');
        }
        if (fullDump != null) {
            // As craw.sh -a: a marker line, then the dump as the JVM printed it.
            out.append("# full-dump\n").append(fullDump);
            if (!fullDump.endsWith("\n")) {
                out.append('\n');
            }
        }
        return out.toString();
    }
}
