import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Router benchmarks on loopback only (run by bench/router.sh):
 *  fan-out   - one webhook with 500 targets over 50 nodes (fake agents on 127.0.1.1-50 answering at once): time to
 *              the router's full response vs the benchmark sending the same 500 capture requests to the agents
 *              itself with the same parallelism (the baseline); prints the ratio (goal <= 1.5).
 *  sustained - 200 webhooks/s for 30 s (open loop), 5 targets each: p50/p99 latency and the router's RSS.
 * The router runs as its own process (java -jar jdd-router.jar) so that its RSS is its own.
 */
public class RouterBench {
    static final String TOKEN = "bench-token";
    static final int NODES = 50;
    static final int TARGETS = 500;
    static final int CONCURRENCY = 64;

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args[0]);
        String java = ProcessHandle.current().info().command().orElse("java");
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 30;

        int agentPort = freePort("127.0.1.1");
        List<HttpServer> agents = new ArrayList<>();
        AtomicLong agentCalls = new AtomicLong();
        StringBuilder agentFlag = new StringBuilder();
        for (int i = 1; i <= NODES; i++) {
            String ip = "127.0.1." + i;
            HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getByName(ip), agentPort), 1024);
            s.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            s.createContext("/v1/captures", ex -> {
                try (ex) {
                    ex.getRequestBody().readAllBytes();
                    agentCalls.incrementAndGet();
                    byte[] b = "{\"outcome\":\"accepted\",\"captureId\":\"bench\"}".getBytes(StandardCharsets.UTF_8);
                    ex.getResponseHeaders().set("Content-Type", "application/json");
                    ex.sendResponseHeaders(202, b.length);
                    ex.getResponseBody().write(b);
                }
            });
            s.start();
            agents.add(s);
            agentFlag.append(i == 1 ? "" : ",").append("node-").append(i).append("=http://").append(ip).append(':').append(agentPort);
        }

        int routerPort = freePort("127.0.0.1");
        Path log = Files.createTempFile("jdd-router-bench-", ".log");
        String heap = System.getProperty("bench.heap", "256m");
        Process router = new ProcessBuilder(java, "-Xmx" + heap, System.getProperty("bench.jvmopt", "-Dbench=1"), "-jar", jar.toString(), "--bind=127.0.0.1",
                "--port=" + routerPort, "--agents=" + agentFlag, "--token=" + TOKEN, "--webhook-bearer=hook",
                "--concurrency=" + CONCURRENCY)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        HttpClient http = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor())
                .connectTimeout(Duration.ofSeconds(5)).build();
        try {
            waitReady(http, routerPort, router, log);
            System.out.printf("router pid %d on 127.0.0.1:%d, %d fake agents on 127.0.1.1-%d:%d, JDK %s%n",
                    router.pid(), routerPort, NODES, NODES, agentPort, Runtime.version());
            fanOut(http, routerPort, agentPort, agentCalls, router.pid());
            sustained(http, routerPort, router.pid(), rate, seconds);
        } finally {
            router.destroy();
            router.waitFor(10, TimeUnit.SECONDS);
            router.destroyForcibly();
            for (HttpServer s : agents) {
                s.stop(0);
            }
            Files.deleteIfExists(log);
        }
    }

    static String alert(int i, int node) {
        return "{\"status\":\"firing\",\"labels\":{\"alertname\":\"JvmCpuHigh\",\"namespace\":\"bench\",\"pod\":\"pod-" + i
                + "\",\"container\":\"app\",\"node\":\"node-" + node + "\"}}";
    }

    static String webhook(int from, int count) {
        StringBuilder sb = new StringBuilder("{\"version\":\"4\",\"status\":\"firing\",\"receiver\":\"jdd\",\"alerts\":[");
        for (int i = 0; i < count; i++) {
            int n = from + i;
            sb.append(i == 0 ? "" : ",").append(alert(n, n % NODES + 1));
        }
        return sb.append("]}").toString();
    }

    static void fanOut(HttpClient http, int routerPort, int agentPort, AtomicLong agentCalls, long routerPid) throws Exception {
        String body = webhook(0, TARGETS);
        HttpRequest viaRouter = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + routerPort + "/hooks"))
                .header("Authorization", "Bearer hook").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(60)).build();
        List<HttpRequest> direct = new ArrayList<>();
        for (int i = 0; i < TARGETS; i++) {
            int node = i % NODES + 1;
            direct.add(HttpRequest.newBuilder(URI.create("http://127.0.1." + node + ":" + agentPort + "/v1/captures"))
                    .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"namespace\":\"bench\",\"pod\":\"pod-" + i
                            + "\",\"container\":\"app\",\"alert\":{\"name\":\"JvmCpuHigh\",\"labels\":{}}}"))
                    .timeout(Duration.ofSeconds(60)).build());
        }
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        int warmup = 30;
        int runs = 60;
        double[] pairRatios = new double[runs];
        long routerCpu = 0;
        long benchCpu = 0;
        long benchCpuDuringRouter = 0;
        long[] routerNs = new long[runs];
        long[] directNs = new long[runs];
        for (int r = -warmup; r < runs; r++) {
            // alternate the two so that machine noise hits both alike
            long cpu0 = cpuMillis(routerPid);
            long benchDuringRouter0 = cpuMillis(ProcessHandle.current().pid());
            long t0 = System.nanoTime();
            HttpResponse<String> res = http.send(viaRouter, HttpResponse.BodyHandlers.ofString());
            long t1 = System.nanoTime();
            if (r >= 0) {
                routerCpu += cpuMillis(routerPid) - cpu0;
                benchCpuDuringRouter += cpuMillis(ProcessHandle.current().pid()) - benchDuringRouter0;
            }
            if (res.statusCode() != 202 || count(res.body(), "\"accepted\"") != TARGETS) {
                throw new IllegalStateException("router answered " + res.statusCode() + ": "
                        + res.body().substring(0, Math.min(300, res.body().length())));
            }
            long bcpu0 = cpuMillis(ProcessHandle.current().pid());
            long t2 = System.nanoTime();
            Semaphore bound = new Semaphore(CONCURRENCY);
            List<Future<Integer>> fs = new ArrayList<>(TARGETS);
            for (HttpRequest req : direct) {
                fs.add(pool.submit(() -> {
                    bound.acquire();
                    try {
                        return http.send(req, HttpResponse.BodyHandlers.ofString()).statusCode();
                    } finally {
                        bound.release();
                    }
                }));
            }
            for (Future<Integer> f : fs) {
                if (f.get() != 202) {
                    throw new IllegalStateException("agent answered " + f.get());
                }
            }
            long t3 = System.nanoTime();
            if (r >= 0) {
                benchCpu += cpuMillis(ProcessHandle.current().pid()) - bcpu0;
            }
            if (r >= 0) {
                routerNs[r] = t1 - t0;
                directNs[r] = t3 - t2;
                pairRatios[r] = (double) (t1 - t0) / (t3 - t2);
            }
        }
        Arrays.sort(pairRatios);
        Arrays.sort(routerNs);
        Arrays.sort(directNs);
        double routerMs = routerNs[runs / 2] / 1e6;
        double directMs = directNs[runs / 2] / 1e6;
        System.out.printf("fan-out: 1 webhook, %d targets over %d nodes, concurrency %d, median of %d runs (%d warm-up)%n",
                TARGETS, NODES, CONCURRENCY, runs, warmup);
        System.out.printf("  via router (full response)  : %8.1f ms  (p10 %.1f, p90 %.1f)%n", routerMs,
                routerNs[runs / 10] / 1e6, routerNs[runs * 9 / 10] / 1e6);
        System.out.printf("  direct to agents (baseline) : %8.1f ms  (p10 %.1f, p90 %.1f)%n", directMs,
                directNs[runs / 10] / 1e6, directNs[runs * 9 / 10] / 1e6);
        System.out.printf("  ratio router/direct         : %8.2f  (goal <= 1.5; median of the paired runs' ratios: %.2f)%n",
                routerMs / directMs, pairRatios[runs / 2]);
        System.out.printf("  agent calls seen            : %d%n", agentCalls.get());
        double viaRouterCpu = (double) (routerCpu + benchCpuDuringRouter) / runs;
        double directCpu = (double) benchCpu / runs;
        System.out.printf("  CPU per webhook via router   : %.1f ms (router %.1f + agents and sender %.1f)%n", viaRouterCpu,
                (double) routerCpu / runs, (double) benchCpuDuringRouter / runs);
        System.out.printf("  CPU per webhook direct       : %.1f ms (agents and sender)%n", directCpu);
        System.out.printf("  CPU ratio via router/direct  : %8.2f  (what the ratio tends to on a saturated machine)%n",
                viaRouterCpu / directCpu);
    }

    static void sustained(HttpClient http, int routerPort, long pid, int rate, int seconds) throws Exception {
        int total = rate * seconds;
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        AtomicInteger failures = new AtomicInteger();
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger peakInFlight = new AtomicInteger();
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        long rssBefore = rssKb(pid);
        long rssMax = rssBefore;
        long start = System.nanoTime();
        long period = 1_000_000_000L / rate;
        List<Future<?>> fs = new ArrayList<>(total);
        long nextSample = start;
        for (int i = 0; i < total; i++) {
            long due = start + i * period;
            long now;
            while ((now = System.nanoTime()) < due) {
                long sleep = due - now;
                if (sleep > 1_000_000) {
                    Thread.sleep(sleep / 1_000_000);
                } else {
                    Thread.onSpinWait();
                }
            }
            if (now >= nextSample) {
                rssMax = Math.max(rssMax, rssKb(pid));
                nextSample = now + 1_000_000_000L;
            }
            int from = (i * 5) % 100_000;
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + routerPort + "/hooks"))
                    .header("Authorization", "Bearer hook").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(webhook(from, 5))).timeout(Duration.ofSeconds(30)).build();
            fs.add(pool.submit(() -> {
                peakInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                long t0 = System.nanoTime();
                try {
                    HttpResponse<Void> res = http.send(req, HttpResponse.BodyHandlers.discarding());
                    if (res.statusCode() != 202) {
                        failures.incrementAndGet();
                    }
                } catch (IOException | InterruptedException e) {
                    failures.incrementAndGet();
                } finally {
                    inFlight.decrementAndGet();
                }
                latencies.add(System.nanoTime() - t0);
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        rssMax = Math.max(rssMax, rssKb(pid));
        long[] l = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf("sustained: %d webhooks/s for %d s, 5 targets each (%d webhooks, %d captures asked) in %.1f s%n",
                rate, seconds, total, total * 5, elapsed);
        System.out.printf("  latency p50 %.1f ms, p99 %.1f ms, max %.1f ms; failures %d; peak in flight %d%n",
                l[l.length / 2] / 1e6, l[(int) (l.length * 0.99)] / 1e6, l[l.length - 1] / 1e6, failures.get(), peakInFlight.get());
        System.out.printf("  router RSS: %d MiB before, %d MiB peak, %d MiB after (-Xmx%s)%n", rssBefore / 1024,
                rssMax / 1024, rssKb(pid) / 1024, System.getProperty("bench.heap", "256m"));
    }

    static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    /** utime + stime of a process, in milliseconds (clock ticks of 10 ms). */
    static long cpuMillis(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
        } catch (IOException e) {
            return 0;
        }
    }

    static int count(String s, String needle) {
        int n = 0;
        for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    static int freePort(String ip) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(ip))) {
            return s.getLocalPort();
        }
    }

    static void waitReady(HttpClient http, int port, Process router, Path log) throws Exception {
        for (int i = 0; i < 300; i++) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // starting
            }
            if (!router.isAlive()) {
                break;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("router did not start: " + Files.readString(log));
    }
}
