package dev.jdd.router;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A real Prometheus Alertmanager (Debian package) on loopback with a webhook receiver; close to stop and clean up. */
final class RealAlertmanager implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/bin/prometheus-alertmanager");

    private final Process process;
    private final Path dir;
    final int port;

    private RealAlertmanager(Process process, Path dir, int port) {
        this.process = process;
        this.dir = dir;
        this.port = port;
    }

    /** @param webhookReceiver the {@code webhook_configs} entry (YAML, indented under the receiver) */
    static RealAlertmanager start(String webhookReceiver) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("jdd-router-am-");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Files.writeString(dir.resolve("alertmanager.yml"), """
                route:
                  receiver: jdd
                  group_by: ['alertname', 'pod']
                  group_wait: 1s
                  group_interval: 2s
                  repeat_interval: 1h
                receivers:
                - name: jdd
                  webhook_configs:
                """ + webhookReceiver);
        Process p = new ProcessBuilder(BINARY.toString(), "--config.file=" + dir.resolve("alertmanager.yml"),
                "--storage.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
                "--cluster.listen-address=", "--log.level=debug")
                .redirectErrorStream(true).redirectOutput(dir.resolve("alertmanager.log").toFile()).start();
        RealAlertmanager am = new RealAlertmanager(p, dir, port);
        HttpClient http = HttpClient.newHttpClient();
        for (int i = 0; i < 100; i++) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/-/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return am;
                }
            } catch (IOException notYet) {
                // starting
            }
            if (!p.isAlive()) {
                break;
            }
            Thread.sleep(100);
        }
        String log = am.log();
        am.close();
        throw new IOException("Alertmanager did not start: " + log);
    }

    /** Posts alerts to Alertmanager's API v2 ({@code labels} are JSON objects). */
    void fire(List<String> labelSets) throws IOException, InterruptedException {
        String now = Instant.now().toString();
        StringBuilder body = new StringBuilder("[");
        for (String labels : labelSets) {
            if (body.length() > 1) {
                body.append(',');
            }
            body.append("{\"labels\":").append(labels).append(",\"annotations\":{\"summary\":\"JVM CPU above 90%\"},")
                    .append("\"startsAt\":\"").append(now).append("\",\"generatorURL\":\"http://prometheus.example/graph\"}");
        }
        body.append(']');
        HttpResponse<String> res = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/api/v2/alerts")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 200) {
            throw new IOException("Alertmanager refused the alerts: " + res.statusCode() + " " + res.body());
        }
    }

    String log() {
        try {
            return Files.readString(dir.resolve("alertmanager.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
