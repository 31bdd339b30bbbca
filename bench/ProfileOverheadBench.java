import com.fasterxml.jackson.databind.JsonNode;
import dev.jdd.common.Json;
import dev.jdd.testing.Health;
import dev.jdd.testing.HotJvm;
import dev.jdd.testing.Jdks;
import dev.jdd.testing.SplitSpinner;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Profile overhead: two agent processes (the image's JVM flags, --runtime=local --engine=node, --cooldown=0s), one
 * with --profile=cpu and one with --profile=off, capture the same target JVM (a SplitSpinner: one hot thread) in
 * turns, the order swapped every round. Per capture: wall time (the capture's start to end, as the agent records
 * it) and the target's CPU over the capture (all threads, and outside the hot thread). Prints medians and the ratios
 * cpu/off; then each agent's RSS. The first profile of a JVM loads JFR in it, so it is reported on its own, apart
 * from the medians. Run by bench/profile-overhead.sh.
 *
 * Arguments: java, agent jar, JVM flags (one string), runs per mode, interval ms, work folder.
 */
public class ProfileOverheadBench {
    record Run(double wallMs, double targetCpuMs, double targetOtherCpuMs) {
    }

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    public static void main(String[] args) throws Exception {
        String java = args[0];
        Path jar = Path.of(args[1]);
        List<String> flags = Arrays.asList(args[2].trim().split("\\s+"));
        int runs = Integer.parseInt(args[3]);
        int intervalMs = Integer.parseInt(args[4]);
        Path work = Path.of(args[5]);
        Map<String, Process> agents = new LinkedHashMap<>();
        Map<String, Integer> ports = new LinkedHashMap<>();
        try (HotJvm target = HotJvm.start(List.of(), Jdks.current(), SplitSpinner.class, List.of(), List.of("30"))) {
            long hotTid = HotJvm.tidNamed(target.pid(), "hot-spinner");
            for (String mode : List.of("cpu", "off")) {
                int port = freePort();
                List<String> cmd = new ArrayList<>(List.of(java));
                cmd.addAll(flags);
                cmd.addAll(List.of("-jar", jar.toString(), "--insecure", "--bind=127.0.0.1", "--port=" + port,
                        "--runtime=local", "--engine=node", "--cooldown=0s", "--interval=" + intervalMs + "ms",
                        "--node=bench", "--dump-dir=" + work.resolve(mode), "--profile=" + mode));
                agents.put(mode, new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectOutput(work.resolve(mode + ".log").toFile()).start());
                ports.put(mode, port);
            }
            for (String mode : agents.keySet()) {
                Health.await(ports.get(mode), "the " + mode + " agent");
            }
            System.out.printf(Locale.ROOT, "target: pid %d, %s, SplitSpinner (1 hot + 30 idle threads); interval %d ms;"
                    + " %d runs per mode, interleaved%n", target.pid(), Jdks.current(), intervalMs, runs);
            // The first capture of each: the target's attach listener starts, and (cpu) JFR is loaded in the target.
            Run firstOff = capture(ports.get("off"), target.pid(), hotTid);
            Run firstCpu = capture(ports.get("cpu"), target.pid(), hotTid);
            System.out.printf(Locale.ROOT, "first capture: off %.0f ms wall, target %.0f ms CPU; cpu %.0f ms wall, target"
                    + " %.0f ms CPU (%.0f ms outside the hot thread: loading JFR)%n", firstOff.wallMs, firstOff.targetCpuMs,
                    firstCpu.wallMs, firstCpu.targetCpuMs, firstCpu.targetOtherCpuMs);
            Map<String, List<Run>> results = new LinkedHashMap<>();
            results.put("cpu", new ArrayList<>());
            results.put("off", new ArrayList<>());
            for (int i = 0; i < runs; i++) {
                List<String> order = i % 2 == 0 ? List.of("cpu", "off") : List.of("off", "cpu");
                for (String mode : order) {
                    results.get(mode).add(capture(ports.get(mode), target.pid(), hotTid));
                }
            }
            System.out.println("mode  wall-ms(median)  target-cpu-ms(median)  target-cpu-outside-hot-thread-ms(median)");
            for (var e : results.entrySet()) {
                System.out.printf(Locale.ROOT, "%-4s  %15.0f  %21.0f  %40.0f%n", e.getKey(),
                        median(e.getValue(), Run::wallMs), median(e.getValue(), Run::targetCpuMs),
                        median(e.getValue(), Run::targetOtherCpuMs));
            }
            double wall = median(results.get("cpu"), Run::wallMs) / median(results.get("off"), Run::wallMs);
            double cpu = median(results.get("cpu"), Run::targetCpuMs) / median(results.get("off"), Run::targetCpuMs);
            System.out.printf(Locale.ROOT, "ratio cpu/off: wall %.3f (goal <= 1.05), target CPU %.3f (goal <= 1.10)%n", wall, cpu);
            for (var e : agents.entrySet()) {
                System.out.printf(Locale.ROOT, "agent RSS after %d captures, --profile=%s: %.1f MiB%n", runs + 1, e.getKey(),
                        rssKib(e.getValue().pid()) / 1024.0);
            }
        } finally {
            for (Process p : agents.values()) {
                p.destroy();
                p.waitFor();
            }
        }
    }

    private static Run capture(int port, long pid, long hotTid) throws Exception {
        long before = ticks(pid, -1);
        long hotBefore = ticks(pid, hotTid);
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/captures"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"namespace\":\"bench\",\"pod\":\"target\",\"container\":\"pid-"
                        + pid + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 202) {
            throw new IllegalStateException("capture refused: " + r.body());
        }
        String id = Json.MAPPER.readTree(r.body()).get("captureId").asText();
        while (true) {
            JsonNode list = Json.MAPPER.readTree(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/v1/captures?limit=5")).build(), HttpResponse.BodyHandlers.ofString()).body()).get("captures");
            for (JsonNode c : list) {
                if (c.get("captureId").asText().equals(id) && c.hasNonNull("outcome")) {
                    long after = ticks(pid, -1);
                    long hotAfter = ticks(pid, hotTid);
                    if (!c.get("outcome").asText().equals("ok")) {
                        throw new IllegalStateException("capture " + id + " ended " + c);
                    }
                    double wall = Duration.between(Instant.parse(c.get("start").asText()), Instant.parse(c.get("end").asText())).toMillis();
                    return new Run(wall, (after - before) * 10.0, ((after - before) - (hotAfter - hotBefore)) * 10.0);
                }
            }
            Thread.sleep(20);
        }
    }

    /** utime + stime in clock ticks (10 ms) of the process, or of one of its threads. */
    private static long ticks(long pid, long tid) throws IOException {
        Path stat = tid < 0 ? Path.of("/proc", Long.toString(pid), "stat") : Path.of("/proc", Long.toString(pid), "task", Long.toString(tid), "stat");
        String line = Files.readString(stat);
        String[] f = line.substring(line.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static long rssKib(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private static double median(List<Run> runs, java.util.function.ToDoubleFunction<Run> f) {
        double[] v = runs.stream().mapToDouble(f).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

}
