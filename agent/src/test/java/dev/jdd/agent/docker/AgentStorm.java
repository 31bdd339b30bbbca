package dev.jdd.agent.docker;

import com.github.dockerjava.api.DockerClient;
import dev.jdd.testing.DockerCondition;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The storm benchmark ({@code bench/agent-storm.sh}): the real agent process on the real engine, 25+ kubelet-labelled
 * JVM containers, and a burst of 1,000 capture requests. Prints the peak number of craw.sh runs the host saw (must
 * equal {@code --slots}), the outcome counts (must add up to the requests), admission latency p50/p99 against a
 * {@code GET /health} burst of the same shape on the same server, and the agent's RSS during the storm against
 * before it. Exits 1 when the peak or the count is wrong.
 *
 * <p>Arguments: {@code [requests] [containers] [slots] [client-threads]}, defaults 1000 25 10 100.
 */
public final class AgentStorm {
    private AgentStorm() {
    }

    public static void main(String[] args) throws Exception {
        int requests = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int containers = args.length > 1 ? Integer.parseInt(args[1]) : 25;
        int slots = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        int clients = args.length > 3 ? Integer.parseInt(args[3]) : 100;
        if (DockerCondition.problem() != null) {
            System.err.println("agent-storm: no Docker engine: " + DockerCondition.problem());
            System.exit(2);
        }
        URI host = URI.create("unix://" + DockerCondition.socket());
        Path work = Files.createTempDirectory("jdd-storm");
        String token = "storm-" + TestPods.RUN;
        int exit;
        try (DockerClient docker = DockerRuntime.client(host, 8, Duration.ofSeconds(120));
             TestPods pods = new TestPods(docker, host)) {
            System.out.printf("starting %d JVM containers (kubelet labels, idle Spinner) ...%n", containers);
            List<TestPods.Pod> targets = new ArrayList<>();
            for (int i = 0; i < containers; i++) {
                targets.add(pods.start(TestPods.App.spinner("storm-" + i).withCommand(TestPods.spinnerCommand(2, 0))));
            }
            for (TestPods.Pod p : targets) {
                pods.awaitLog(p.appId(), "ready ", Duration.ofMinutes(5));
            }
            exit = storm(requests, slots, clients, host, work, token, targets);
        } finally {
            TestImages.deleteTree(work);
        }
        System.exit(exit);
    }

    private static int storm(int requests, int slots, int clients, URI host, Path work, String token,
                             List<TestPods.Pod> targets) throws Exception {
        Path dumps = work.resolve("stacks");
        List<String> flags = List.of("--token=" + token, "--engine=script", "--runtime=docker", "--docker-host=" + host, "--dump-dir=" + dumps,
                "--slots=" + slots, "--queue=100", "--cooldown=5m", "--interval=1s", "--threads=20");
        long startNanos = System.nanoTime();
        try (AgentProcess agent = AgentProcess.start(flags, work.resolve("agent.log"))) {
            long readyMillis = (System.nanoTime() - startNanos) / 1_000_000;
            long rssIdle = agent.rss();
            AgentApiCaller api = new AgentApiCaller(agent::uri, token);

            Storm.Result baseline = Storm.burst(requests, clients, i -> new String[] {"health-" + api.health(), null});
            long rssBefore = agent.rss();

            AtomicLong rssMax = new AtomicLong(rssBefore);
            Thread rssSampler = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        rssMax.accumulateAndGet(agent.rss(), Math::max);
                        Thread.sleep(10);
                    } catch (IOException | InterruptedException e) {
                        return;
                    }
                }
            }, "rss-sampler");
            rssSampler.setDaemon(true);
            rssSampler.start();

            Storm.Result storm;
            int peak;
            long samples;
            long stormStart = System.nanoTime();
            long drainedMillis;
            try (CrawSampler crawSampler = new CrawSampler(targets.stream().map(TestPods.Pod::appId).toList())) {
                storm = Storm.burst(requests, clients, i -> {
                    TestPods.Pod p = targets.get(i % targets.size());
                    AgentApiCaller.Answer a = api.capture(p.namespace(), p.pod(), p.container());
                    return new String[] {a.outcome() == null ? "http-" + a.status() : a.outcome(), a.captureId()};
                });
                crawSampler.awaitNone(600_000);
                long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
                while (files(dumps) < storm.accepted().size() && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                drainedMillis = (System.nanoTime() - stormStart) / 1_000_000;
                peak = crawSampler.peak();
                samples = crawSampler.samples();
            } finally {
                rssSampler.interrupt();
                rssSampler.join();
            }

            Map<String, Integer> finished = new TreeMap<>();
            for (TestPods.Pod p : targets) {
                for (Map<String, Object> c : api.list(p.namespace(), p.pod())) {
                    finished.merge(String.valueOf(c.get("outcome")), 1, Integer::sum);
                }
            }
            double mib = 1024 * 1024;
            System.out.printf("%nagent storm: %d capture requests in one burst from %d client threads over %d containers; "
                    + "--slots=%d --queue=100 --cooldown=5m --interval=1s%n", requests, clients, targets.size(), slots);
            System.out.printf("peak craw.sh running (host /proc, %d samples): %d   (slots %d)%n", samples, peak, slots);
            System.out.printf("outcomes: %s   sum %d of %d%n", storm.outcomes(), storm.total(), requests);
            System.out.printf("captures finished: %s   (all done %.1f s after the burst)%n", finished, drainedMillis / 1000.0);
            System.out.printf("admission latency   p50 %s  p99 %s%n", Storm.ms(storm.percentile(50)), Storm.ms(storm.percentile(99)));
            storm.latenciesByOutcome().forEach((outcome, l) -> System.out.printf("  %-12s n=%-4d p50 %s  p99 %s  max %s%n",
                    outcome, l.length, Storm.ms(Storm.percentile(l, 50)), Storm.ms(Storm.percentile(l, 99)), Storm.ms(l[l.length - 1])));
            System.out.printf("GET /health (base)  p50 %s  p99 %s   (same burst shape, same server, before the storm)%n",
                    Storm.ms(baseline.percentile(50)), Storm.ms(baseline.percentile(99)));
            System.out.printf("ratio admission/health  p50 %.2fx  p99 %.2fx%n",
                    (double) storm.percentile(50) / baseline.percentile(50), (double) storm.percentile(99) / baseline.percentile(99));
            System.out.printf("agent RSS  idle %.1f MiB, before storm %.1f MiB, during storm (max) %.1f MiB   "
                    + "ratio during/before %.2fx%n", rssIdle / mib, rssBefore / mib, rssMax.get() / mib, (double) rssMax.get() / rssBefore);
            System.out.printf("agent start to ready: %d ms (JVM flags %s)%n", readyMillis, String.join(" ", AgentProcess.JVM_FLAGS));

            boolean ok = true;
            if (peak != slots) {
                System.out.printf("FAIL: peak %d != slots %d%n", peak, slots);
                ok = false;
            }
            if (storm.total() != requests) {
                System.out.printf("FAIL: outcomes add up to %d, not %d%n", storm.total(), requests);
                ok = false;
            }
            if (!storm.errors().isEmpty()) {
                System.out.printf("FAIL: %d requests got no outcome, e.g. %s%n", storm.errors().size(), storm.errors().get(0));
                ok = false;
            }
            return ok ? 0 : 1;
        }
    }

    private static long files(Path dumps) throws IOException {
        if (!Files.exists(dumps)) {
            return 0;
        }
        try (Stream<Path> all = Files.walk(dumps)) {
            return all.filter(p -> p.getFileName().toString().endsWith(".log")).count();
        }
    }
}
