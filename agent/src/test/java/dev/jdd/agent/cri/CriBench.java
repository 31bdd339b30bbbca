package dev.jdd.agent.cri;

import com.github.dockerjava.api.DockerClient;
import dev.jdd.agent.docker.AgentApiCaller;
import dev.jdd.agent.docker.AgentProcess;
import dev.jdd.agent.docker.DockerFixture;
import dev.jdd.agent.docker.DockerRuntime;
import dev.jdd.agent.docker.Storm;
import dev.jdd.agent.docker.TestPods;
import dev.jdd.testing.Health;
import dev.jdd.testing.Jdks;
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
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The CRI benchmark ({@code bench/cri.sh}): the same JVM image (one hot thread) in a pod of a private containerd and
 * in a kubelet-like Docker pod, one agent process per runtime with the image's JVM flags, one router process with
 * both agents as static agents. Alternating rounds measure, per runtime:
 * <ul>
 *   <li>capture overhead beyond the sample: the dump header's end minus start (the agent's own clock) minus
 *       {@code --interval};</li>
 *   <li>webhook-to-file: from POSTing an Alertmanager webhook to the router until the dump file exists on disk,
 *       minus {@code --interval};</li>
 * </ul>
 * both with the agents as shipped ({@code --engine=auto}: the dump taken from the node over the JVM's attach socket)
 * and, as the baseline, with two more agents with {@code --engine=script} (craw.sh and jcmd in the container, the
 * runtime's exec path); and
 * <ul>
 *   <li>agent RSS idle (after {@code IDLE_SECONDS}) and after the captures.</li>
 * </ul>
 * Prints medians and the CRI/Docker ratios. Arguments: {@code [rounds]} (default 10).
 */
public final class CriBench {
    private static final String TOKEN = "cri-bench-" + TestPods.RUN;
    private static final Duration INTERVAL = Duration.ofSeconds(1);
    private static final int IDLE_SECONDS = 10;

    private CriBench() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        PrivateContainerd.Result started = PrivateContainerd.start();
        if (started.containerd() == null) {
            System.err.println("cri bench: " + started.problem());
            System.exit(2);
        }
        Path work = Files.createTempDirectory("jdd-cri-bench");
        try (PrivateContainerd containerd = started.containerd();
             DockerClient docker = DockerRuntime.client(DockerFixture.HOST, 4, Duration.ofMinutes(2));
             TestPods dockerPods = new TestPods(docker, DockerFixture.HOST)) {
            PrivateContainerd.Pod criPod = containerd.startReady(TestPods.App.spinner("bench-cri"));
            TestPods.Pod dockerPod = dockerPods.startReady(TestPods.App.spinner("bench-docker"));
            List<String> common = List.of("--token=" + TOKEN, "--interval=" + INTERVAL.toMillis() + "ms", "--cooldown=0s",
                    "--threads=20");
            try (AgentProcess cri = agent(work, "cri", common, "--runtime=cri", "--runtime-endpoint=" + containerd.endpoint());
                 AgentProcess dock = agent(work, "docker", common, "--runtime=docker", "--docker-host=" + DockerFixture.HOST);
                 AgentProcess criScript = agent(work, "cri-script", common, "--runtime=cri", "--runtime-endpoint="
                         + containerd.endpoint(), "--engine=script");
                 AgentProcess dockScript = agent(work, "docker-script", common, "--runtime=docker", "--docker-host="
                         + DockerFixture.HOST, "--engine=script")) {
                Thread.sleep(IDLE_SECONDS * 1000L);
                long criIdle = cri.rss();
                long dockerIdle = dock.rss();
                Router router = router(work, Map.of("cri-node", cri, "docker-node", dock, "cri-script-node", criScript,
                        "docker-script-node", dockScript));
                try {
                    int routerPort = router.port();
                    Health.await(routerPort, "the router");
                    long[] criOverhead = new long[rounds];
                    long[] dockerOverhead = new long[rounds];
                    long[] criScriptOverhead = new long[rounds];
                    long[] dockerScriptOverhead = new long[rounds];
                    long[] criHook = new long[rounds];
                    long[] dockerHook = new long[rounds];
                    long[] criScriptHook = new long[rounds];
                    long[] dockerScriptHook = new long[rounds];
                    for (int i = 0; i < rounds; i++) {
                        criOverhead[i] = overhead(cri, work.resolve("cri"), criPod.namespace(), criPod.pod(), criPod.container());
                        dockerOverhead[i] = overhead(dock, work.resolve("docker"), dockerPod.namespace(), dockerPod.pod(),
                                dockerPod.container());
                        criScriptOverhead[i] = overhead(criScript, work.resolve("cri-script"), criPod.namespace(), criPod.pod(),
                                criPod.container());
                        dockerScriptOverhead[i] = overhead(dockScript, work.resolve("docker-script"), dockerPod.namespace(),
                                dockerPod.pod(), dockerPod.container());
                        criHook[i] = webhookToFile(routerPort, work.resolve("cri"), "cri-node", criPod.namespace(), criPod.pod(),
                                criPod.container());
                        dockerHook[i] = webhookToFile(routerPort, work.resolve("docker"), "docker-node", dockerPod.namespace(),
                                dockerPod.pod(), dockerPod.container());
                        criScriptHook[i] = webhookToFile(routerPort, work.resolve("cri-script"), "cri-script-node",
                                criPod.namespace(), criPod.pod(), criPod.container());
                        dockerScriptHook[i] = webhookToFile(routerPort, work.resolve("docker-script"), "docker-script-node",
                                dockerPod.namespace(), dockerPod.pod(), dockerPod.container());
                    }
                    long criAfter = cri.rss();
                    long dockerAfter = dock.rss();
                    System.out.printf("rounds %d, interval %d ms, runtime %s%n", rounds, INTERVAL.toMillis(),
                            containerd.answers() ? "containerd (private)" : "?");
                    double co = median(criOverhead);
                    double dov = median(dockerOverhead);
                    double cso = median(criScriptOverhead);
                    double dso = median(dockerScriptOverhead);
                    System.out.printf("capture overhead beyond the sample, p50, as shipped (--engine=auto): CRI %.0f ms, Docker %.0f ms,"
                            + " ratio %.2f (goal <= 1.0)%n", co, dov, co / dov);
                    System.out.printf("capture overhead beyond the sample, p50, --engine=script (craw.sh through the runtime's exec):"
                            + " CRI %.0f ms, Docker %.0f ms, ratio %.2f (goal <= 1.0)%n", cso, dso, cso / dso);
                    double ch = median(criHook);
                    double dh = median(dockerHook);
                    double csh = median(criScriptHook);
                    double dsh = median(dockerScriptHook);
                    System.out.printf("webhook-to-file beyond the interval, p50, as shipped (--engine=auto): CRI %.0f ms, Docker %.0f ms"
                            + " (goal <= 300 ms)%n", ch, dh);
                    System.out.printf("webhook-to-file beyond the interval, p50, --engine=script (baseline): CRI %.0f ms, Docker %.0f ms;"
                            + " as shipped / script: CRI %.2f, Docker %.2f%n", csh, dsh, ch / csh, dh / dsh);
                    System.out.printf("agent RSS idle: CRI %.1f MiB, Docker %.1f MiB, ratio %.2f%n", mib(criIdle), mib(dockerIdle),
                            (double) criIdle / dockerIdle);
                    System.out.printf("agent RSS after %d captures: CRI %.1f MiB, Docker %.1f MiB, ratio %.2f%n", 2 * rounds,
                            mib(criAfter), mib(dockerAfter), (double) criAfter / dockerAfter);
                    System.out.println("all CRI overheads (ms): " + Arrays.toString(criOverhead));
                    System.out.println("all Docker overheads (ms): " + Arrays.toString(dockerOverhead));
                    System.out.println("all CRI overheads with --engine=script (ms): " + Arrays.toString(criScriptOverhead));
                    System.out.println("all Docker overheads with --engine=script (ms): " + Arrays.toString(dockerScriptOverhead));
                    System.out.println("all CRI webhook-to-file (ms): " + Arrays.toString(criHook));
                    System.out.println("all Docker webhook-to-file (ms): " + Arrays.toString(dockerHook));
                    System.out.println("all CRI webhook-to-file with --engine=script (ms): " + Arrays.toString(criScriptHook));
                    System.out.println("all Docker webhook-to-file with --engine=script (ms): " + Arrays.toString(dockerScriptHook));
                } finally {
                    router.process().destroy();
                }
            }
        } finally {
            dev.jdd.agent.docker.TestImages.deleteTree(work);
        }
    }

    private record Router(Process process, int port) {
    }

    private static AgentProcess agent(Path work, String name, List<String> common, String... runtime) throws Exception {
        List<String> flags = new ArrayList<>(common);
        flags.addAll(List.of(runtime));
        flags.add("--dump-dir=" + work.resolve(name));
        flags.add("--node=" + name + "-node");
        return AgentProcess.start(flags, work.resolve(name + ".log"));
    }

    /** One router with {@code agents} (node name to agent) as its static agents. */
    private static Router router(Path work, Map<String, AgentProcess> agents) throws IOException {
        int routerPort;
        try (ServerSocket s = new ServerSocket(0)) {
            routerPort = s.getLocalPort();
        }
        Path jar = Path.of("router/target/jdd-router.jar").toAbsolutePath();
        List<String> cmd = new ArrayList<>(List.of(Jdks.current().resolve("bin/java").toString()));
        cmd.addAll(AgentProcess.JVM_FLAGS);
        cmd.addAll(List.of("-jar", jar.toString(), "--bind=127.0.0.1", "--port=" + routerPort, "--token=" + TOKEN,
                "--agents=" + String.join(",", agents.entrySet().stream().map(a -> a.getKey() + "=" + base(a.getValue())).toList())));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("router.log").toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("JDD_"));
        return new Router(pb.start(), routerPort);
    }

    private static String base(AgentProcess agent) {
        String uri = agent.uri("").toString();
        return uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
    }

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** One capture; the agent's own start-to-end time minus the interval, in ms. */
    private static long overhead(AgentProcess agent, Path dumps, String ns, String pod, String container) throws Exception {
        AgentApiCaller api = new AgentApiCaller(agent::uri, TOKEN);
        AgentApiCaller.Answer a = api.capture(ns, pod, container);
        if (a.status() != 202) {
            throw new IllegalStateException("capture not accepted: " + a.body());
        }
        api.awaitFinished(ns, pod, a.captureId(), Duration.ofMinutes(2));
        Map<String, String> header = AgentApiCaller.header(api.dump(a.captureId()));
        if (!"ok".equals(header.get("outcome"))) {
            throw new IllegalStateException("capture failed: " + header);
        }
        return Duration.between(Instant.parse(header.get("start")), Instant.parse(header.get("end"))).toMillis() - INTERVAL.toMillis();
    }

    /** An Alertmanager webhook through the router; ms from the POST until the dump file exists, minus the interval. */
    private static long webhookToFile(int port, Path dumps, String node, String ns, String pod, String container) throws Exception {
        long before = files(dumps);
        String body = """
                {"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"HighCpu",\
                "namespace":"%s","pod":"%s","container":"%s","node":"%s"}}]}""".formatted(ns, pod, container, node);
        long start = System.nanoTime();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hooks"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 202) {
            throw new IllegalStateException("router answered " + r.statusCode() + ": " + r.body());
        }
        while (files(dumps) <= before) {
            if (System.nanoTime() - start > Duration.ofMinutes(2).toNanos()) {
                throw new IllegalStateException("no file after 2 minutes: " + r.body());
            }
            Thread.sleep(2);
        }
        return Duration.ofNanos(System.nanoTime() - start).toMillis() - INTERVAL.toMillis();
    }

    private static long files(Path dumps) throws IOException {
        if (!Files.exists(dumps)) {
            return 0;
        }
        try (Stream<Path> all = Files.walk(dumps)) {
            return all.filter(f -> f.getFileName().toString().endsWith(".log")).count();
        } catch (java.io.UncheckedIOException e) {
            return 0; // a temporary file was renamed under the walk: look again
        }
    }

    private static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return Storm.percentile(sorted, 50);
    }

    private static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}
