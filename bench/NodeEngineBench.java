import com.sun.management.OperatingSystemMXBean;
import dev.jdd.agent.node.NodeCapture;
import dev.jdd.agent.runtime.ExecResult;
import dev.jdd.testing.HotJvm;
import dev.jdd.testing.Jdks;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Capture cost, node engine against craw.sh (jcmd, jstack) and Arthas, on one target JVM in one run. Per
 * capture: wall time beyond the sampling interval, and CPU seconds spent by the capturing side (for the node
 * engine the agent process's CPU; for the others every process they started) plus the target's CPU outside
 * its hot thread (attach listener, safepoint, the dump). Run by bench/node-engine.sh.
 *
 * Arguments: craw.sh path (with arthas/ beside it when Arthas is wanted), interval ms, runs per engine, Arthas home
 * or "-". "craw.sh -e arthas" attaches Arthas and stops it in every capture (what jdd does); "arthas thread -n 50"
 * leaves Arthas resident in the target between captures (what a person at a console does), stopped at the end.
 */
public class NodeEngineBench {
    record Run(double wallBeyondMs, double toolCpuMs, double targetCpuMs, boolean ok) {
    }

    public static void main(String[] args) throws Exception {
        Path craw = Path.of(args[0]);
        int intervalMs = Integer.parseInt(args[1]);
        int runs = Integer.parseInt(args[2]);
        String arthasHome = args.length > 3 ? args[3] : "-";
        Duration interval = Duration.ofMillis(intervalMs);
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        NodeCapture node = NodeCapture.onThisNode();
        Map<String, List<Run>> results = new LinkedHashMap<>();
        List<Double> nodeThreadCpu = new ArrayList<>();
        var threadMx = ManagementFactory.getThreadMXBean();
        try (HotJvm target = HotJvm.start(Jdks.current(), 30, List.of())) {
            long pid = target.pid();
            System.out.printf(Locale.ROOT, "target: pid %d, %s, 1 hot + 30 idle threads; interval %d ms, %d runs per engine%n",
                    pid, Jdks.current(), intervalMs, runs);
            // Warm up the agent's code paths (the agent is a long-running process) and start the target's
            // attach listener once, as the first capture of a JVM does.
            for (int i = 0; i < 20; i++) {
                node.capture(pid, 50, Duration.ofMillis(100), false, Duration.ofSeconds(30));
            }
            List<String> engines = new ArrayList<>(List.of("node", "craw.sh -e jcmd", "craw.sh -e jstack"));
            if (!arthasHome.equals("-")) {
                engines.add("craw.sh -e arthas");
                engines.add("arthas thread -n 50");
            }
            // Resident Arthas last: once attached it would stand in the way of craw.sh's own Arthas attach.
            List<List<String>> phases = new ArrayList<>();
            phases.add(engines.stream().filter(e -> !e.startsWith("arthas")).toList());
            phases.add(engines.stream().filter(e -> e.startsWith("arthas")).toList());
            for (List<String> phase : phases) {
                for (int r = 0; r < runs; r++) {
                    for (String engine : phase) {
                        TargetCpu targetBefore = targetCpu(pid);
                        boolean threadsEnd = engine.equals("craw.sh -e arthas");
                        long start = System.nanoTime();
                        Run run;
                        if (engine.equals("node")) {
                            long cpuBefore = os.getProcessCpuTime();
                            long threadBefore = threadMx.getCurrentThreadCpuTime();
                            ExecResult result = node.capture(pid, 50, interval, false, Duration.ofSeconds(30));
                            nodeThreadCpu.add((threadMx.getCurrentThreadCpuTime() - threadBefore) / 1e6);
                            double wall = (System.nanoTime() - start) / 1e6 - intervalMs;
                            double cpu = (os.getProcessCpuTime() - cpuBefore) / 1e6;
                            run = new Run(wall, cpu, targetCpuMs(targetBefore, targetCpu(pid), threadsEnd), result.exitCode() == 0
                                    && new String(result.stdout(), StandardCharsets.UTF_8).contains("#1 cpu=") );
                        } else if (engine.startsWith("craw.sh")) {
                            String tool = engine.substring(engine.lastIndexOf(' ') + 1);
                            double[] out = childCpu(List.of("sh", craw.toString(), "-p", Long.toString(pid),
                                    "-i", Integer.toString(intervalMs), "-n", "50", "-e", tool));
                            double wall = (System.nanoTime() - start) / 1e6 - intervalMs;
                            run = new Run(wall, out[0], targetCpuMs(targetBefore, targetCpu(pid), threadsEnd), out[1] == 0);
                        } else {
                            double[] out = childCpu(List.of(Jdks.current().resolve("bin/java").toString(),
                                    "-jar", arthasHome + "/arthas-boot.jar", "--arthas-home", arthasHome,
                                    "-c", "thread -n 50 -i " + intervalMs, Long.toString(pid)));
                            double wall = (System.nanoTime() - start) / 1e6 - intervalMs;
                            run = new Run(wall, out[0], targetCpuMs(targetBefore, targetCpu(pid), threadsEnd), out[1] == 0);
                        }
                        results.computeIfAbsent(engine, k -> new ArrayList<>()).add(run);
                    }
                }
            }
            if (!arthasHome.equals("-")) {
                childCpu(List.of(Jdks.current().resolve("bin/java").toString(), "-jar", arthasHome + "/arthas-boot.jar",
                        "--arthas-home", arthasHome, "-c", "stop", Long.toString(target.pid())));
            }
        }
        Run base = median(results.get("craw.sh -e jcmd"));
        System.out.println();
        System.out.printf(Locale.ROOT, "%-22s %6s %16s %14s %14s %12s %12s%n", "engine (median)", "ok",
                "wall beyond ms", "tool CPU ms", "target CPU ms", "wall ratio", "CPU ratio");
        for (Map.Entry<String, List<Run>> e : results.entrySet()) {
            Run m = median(e.getValue());
            long ok = e.getValue().stream().filter(Run::ok).count();
            double cpu = m.toolCpuMs + m.targetCpuMs;
            System.out.printf(Locale.ROOT, "%-22s %3d/%-2d %16.1f %14.1f %14.1f %12.3f %12.3f%n", e.getKey(), ok,
                    e.getValue().size(), m.wallBeyondMs, m.toolCpuMs, m.targetCpuMs,
                    m.wallBeyondMs / base.wallBeyondMs, cpu / (base.toolCpuMs + base.targetCpuMs));
        }
        System.out.println("(ratios against craw.sh -e jcmd in this run; CPU = tool + target; tool CPU of the node engine"
                + " is the whole bench JVM's, JIT and GC included)");
        System.out.printf(Locale.ROOT, "node engine, the capturing thread alone: %.1f ms CPU (median)%n",
                mid(nodeThreadCpu.stream().mapToDouble(Double::doubleValue).toArray()));
        System.out.println("load average: " + Files.readString(Path.of("/proc/loadavg")).strip());
    }

    /** Runs a command, returns {its CPU ms and that of everything it started (reaped children), exit code}. */
    static double[] childCpu(List<String> command) throws IOException, InterruptedException {
        // The outer shell reaps the command, so its cutime/cstime (fields 16, 17) hold the command's whole tree.
        List<String> wrapped = new ArrayList<>(List.of("sh", "-c", "\"$@\" >/dev/null 2>&1; rc=$?; cat /proc/$$/stat; exit $rc", "bench"));
        wrapped.addAll(command);
        Process p = new ProcessBuilder(wrapped).redirectErrorStream(true).start();
        String stat = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        int rc = p.waitFor();
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        double ticks = Long.parseLong(f[13]) + Long.parseLong(f[14]);
        return new double[] {ticks * 10, rc};
    }

    /** The target's CPU counters at one moment; see {@link #targetCpuMs}. */
    record TargetCpu(Map<Long, Long> nonHotNanos, long processTicks, long liveTicks) {
    }

    /**
     * What a capture cost the target between two readings: the schedstat nanoseconds of its threads other than
     * the hot one that are alive at the second reading, plus, for engines whose threads in the target end within the capture (Arthas attached and
     * stopped again), the CPU of threads that ended, from the process's tick counters (10 ms resolution).
     */
    static double targetCpuMs(TargetCpu before, TargetCpu after, boolean threadsEnd) {
        // Per thread, so that threads ending during the window (an earlier Arthas winding down) do not count.
        double ms = 0;
        for (Map.Entry<Long, Long> t : after.nonHotNanos.entrySet()) {
            ms += (t.getValue() - before.nonHotNanos.getOrDefault(t.getKey(), 0L)) / 1e6;
        }
        if (threadsEnd) {
            long ended = (after.processTicks - before.processTicks) - (after.liveTicks - before.liveTicks);
            ms += Math.max(0, ended) * 10.0;
        }
        return ms;
    }

    static TargetCpu targetCpu(long pid) throws IOException {
        Map<Long, Long> nanos = new java.util.HashMap<>();
        long liveTicks = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    liveTicks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                    if (Files.readString(t.resolve("comm")).strip().startsWith("hot-spinner")) {
                        continue;
                    }
                    nanos.put(Long.parseLong(t.getFileName().toString()),
                            Long.parseLong(Files.readString(t.resolve("schedstat")).split(" ")[0]));
                } catch (IOException e) {
                    // thread ended
                }
            }
        }
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new TargetCpu(nanos, Long.parseLong(f[11]) + Long.parseLong(f[12]), liveTicks);
    }

    static Run median(List<Run> runs) {
        double[] w = runs.stream().mapToDouble(Run::wallBeyondMs).sorted().toArray();
        double[] c = runs.stream().mapToDouble(Run::toolCpuMs).sorted().toArray();
        double[] t = runs.stream().mapToDouble(Run::targetCpuMs).sorted().toArray();
        return new Run(mid(w), mid(c), mid(t), true);
    }

    static double mid(double[] a) {
        Arrays.sort(a);
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }
}
