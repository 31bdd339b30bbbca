package dev.jdd.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.agent.docker.DockerFixture;
import dev.jdd.agent.docker.TestImages;
import dev.jdd.agent.docker.TestPods;
import dev.jdd.testing.RequiresDocker;
import java.io.IOException;
import java.net.InetAddress;
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
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image we ship is the image we test: {@code docker build} of the top-level Dockerfile (on a JRE base imported
 * from local files, as no registry is reachable here), then the agent and the router run from it the way
 * daemonset.yaml runs them (read-only root, /tmp as tmpfs, the engine's socket and a dump folder mounted, the router
 * as a non-root user), and an Alertmanager webhook for a kubelet-labelled container ends as a dump on the host.
 */
@RequiresDocker
class ImageIT {
    private static final URI HOST = DockerFixture.HOST;
    /** What the two roles need of a JRE (jdeps over both jars and their libs; jdk.jfr reads profiles), as a Temurin JRE has. */
    private static final List<String> JRE_MODULES = List.of("java.base", "java.desktop", "java.logging",
            "java.management", "java.naming", "java.net.http", "java.sql", "java.xml", "jdk.jfr", "jdk.unsupported", "jdk.zipfs");
    private static final String TOKEN = "image-it-" + TestPods.RUN;
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    static Path work;
    @RegisterExtension
    static final DockerFixture fixture = new DockerFixture();
    private static String image;
    private static final List<String> containers = new ArrayList<>();

    @BeforeAll
    static void buildImage() throws Exception {
        String base = TestImages.jvm(fixture.docker(), HOST, new TestImages.Spec(JRE_MODULES, true));
        image = "jdd-image-it:" + TestPods.RUN;
        cli(Duration.ofMinutes(10), "build", "--build-arg", "BASE_IMAGE=" + base, "--build-arg", "JAVA_HOME=/opt/java", "-t", image, REPO.toString());
        cli(Duration.ofSeconds(30), "image", "inspect", image);
    }

    @AfterAll
    static void cleanUp() throws Exception {
        for (String id : containers) {
            System.err.println("--- " + id + " ---\n" + cli(Duration.ofSeconds(30), "logs", id));
            cli(Duration.ofSeconds(30), "rm", "-f", id);
        }
        if (image != null) {
            cli(Duration.ofSeconds(60), "rmi", "-f", image);
        }
    }

    @Test
    void agentAndRouterFromTheImageTurnAWebhookIntoADumpOnTheHost() throws Exception {
        TestPods.Pod pod = fixture.pods().startReady(TestPods.App.spinner("image-it"));
        Path dumps = Files.createDirectories(work.resolve("dumps"));
        int agentPort = freePort();
        int routerPort = freePort();
        String node = "image-node";

        String agent = cli(Duration.ofMinutes(1), "run", "-d", "--name", "jdd-image-it-agent-" + TestPods.RUN,
                "--network", "host", "--user", "0", "--read-only", "--tmpfs", "/tmp",
                "-v", "/var/run/docker.sock:/var/run/docker.sock", "-v", dumps + ":/var/log/jdd",
                "-e", "JDD_TOKEN=" + TOKEN, "-e", "JDD_NODE=" + node, "-e", "JAVA_HOME=/opt/java",
                image, "agent", "--bind=127.0.0.1", "--port=" + agentPort, "--dump-dir=/var/log/jdd", "--interval=1s").strip();
        containers.add(agent);
        String router = cli(Duration.ofMinutes(1), "run", "-d", "--name", "jdd-image-it-router-" + TestPods.RUN,
                "--network", "host", "--read-only", "--tmpfs", "/tmp", "-e", "JDD_TOKEN=" + TOKEN, "-e", "JAVA_HOME=/opt/java",
                image, "router", "--bind=127.0.0.1", "--port=" + routerPort,
                "--agents=" + node + "=http://127.0.0.1:" + agentPort).strip();
        containers.add(router);

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        awaitHealthy(http, agentPort);
        awaitHealthy(http, routerPort);
        // The Dockerfile's training run left an AppCDS archive that the agent's JVM (PID 1 of its container) maps.
        assertTrue(cli(Duration.ofSeconds(30), "exec", agent, "cat", "/proc/1/maps").contains("/opt/jdd/jdd-agent.jsa"),
                "the agent runs with the image's AppCDS archive");
        assertEquals(200, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + routerPort + "/health/live")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode(), "daemonset.yaml's router liveness probe path");

        String webhook = """
                {"receiver":"jdd","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"ContainerCpuHigh",
                "namespace":"%s","pod":"%s","container":"%s","node":"%s"},"annotations":{},
                "startsAt":"2026-11-27T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus/graph",
                "fingerprint":"0f3a"}],"groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am",
                "version":"4","groupKey":"{}:{}","truncatedAlerts":0}
                """.formatted(pod.namespace(), pod.pod(), pod.container(), node);
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + routerPort + "/hooks"))
                .POST(HttpRequest.BodyPublishers.ofString(webhook)).header("Content-Type", "application/json").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(202, answer.statusCode(), answer.body());
        assertTrue(answer.body().contains("\"outcome\":\"accepted\""), answer.body());

        Path dir = dumps.resolve(java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString())
                .resolve(pod.namespace()).resolve(pod.pod());
        Path file = awaitDump(dir, pod.container(), Duration.ofMinutes(2));
        String dump = Files.readString(file);
        assertTrue(dump.contains("# outcome: ok"), dump);
        assertTrue(dump.contains("# node: " + node), dump);
        assertTrue(dump.lines().anyMatch(l -> l.startsWith("#1 ") && l.contains("\"hot-spinner\"")), dump);
        assertEquals("65532", cli(Duration.ofSeconds(30), "exec", router, "id", "-u").strip(), "the router is not root");
    }

    private static Path awaitDump(Path dir, String container, Duration max) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> files = Files.list(dir)) {
                    Optional<Path> done = files.filter(f -> f.getFileName().toString().startsWith(container + "_")
                            && f.getFileName().toString().endsWith(".log")).findFirst();
                    if (done.isPresent()) {
                        return done.get();
                    }
                }
            }
            Thread.sleep(250);
        }
        throw new AssertionError("no dump under " + dir + " within " + max);
    }

    private static void awaitHealthy(HttpClient http, int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // starting
            }
            Thread.sleep(200);
        }
        throw new AssertionError("nothing healthy on port " + port);
    }

    private static String cli(Duration max, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("docker"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(max.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("docker " + String.join(" ", args) + " took longer than " + max);
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0 && !args[0].equals("logs") && !args[0].equals("rm") && !args[0].equals("rmi")) {
            throw new AssertionError("docker " + String.join(" ", args) + " failed: " + text);
        }
        return text;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
