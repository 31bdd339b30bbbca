package dev.jdd.agent.docker;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.jdd.common.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

/** The agent's HTTP API as a test or benchmark uses it (plain JDK client, JSON through common's mapper). */
public final class AgentApiCaller {
    private final HttpClient http;
    private final Function<String, URI> uri;
    private final String token;

    public AgentApiCaller(Function<String, URI> uri, String token) {
        this.uri = uri;
        this.token = token;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).version(HttpClient.Version.HTTP_1_1).build();
    }

    /** Status and JSON body of an answer. */
    public record Answer(int status, Map<String, Object> body) {
        public String outcome() {
            return (String) body.get("outcome");
        }

        public String captureId() {
            return (String) body.get("captureId");
        }
    }

    public Answer capture(String namespace, String pod, String container) throws IOException, InterruptedException {
        return capture(namespace, pod, container, token);
    }

    public Answer capture(String namespace, String pod, String container, String bearer) throws IOException, InterruptedException {
        Map<String, Object> alert = new LinkedHashMap<>();
        alert.put("name", "HighCpu");
        alert.put("value", "0.97");
        alert.put("labels", Map.of("severity", "page"));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("namespace", namespace);
        body.put("pod", pod);
        body.put("container", container);
        body.put("alert", alert);
        HttpRequest.Builder req = HttpRequest.newBuilder(uri.apply("/v1/captures")).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.write(body)));
        if (bearer != null) {
            req.header("Authorization", "Bearer " + bearer);
        }
        return answer(http.send(req.build(), HttpResponse.BodyHandlers.ofString()));
    }

    public Answer get(String path, String bearer) throws IOException, InterruptedException {
        HttpRequest.Builder req = HttpRequest.newBuilder(uri.apply(path)).timeout(Duration.ofSeconds(60)).GET();
        if (bearer != null) {
            req.header("Authorization", "Bearer " + bearer);
        }
        return answer(http.send(req.build(), HttpResponse.BodyHandlers.ofString()));
    }

    /** {@code GET /health}: the baseline request of the storm benchmark. */
    public int health() throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri.apply("/health")).timeout(Duration.ofSeconds(60)).GET().build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** Waits until the capture is listed with an outcome, and returns its listing. */
    public Map<String, Object> awaitFinished(String namespace, String pod, String captureId, Duration max)
            throws IOException, InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < end) {
            for (Map<String, Object> c : list(namespace, pod)) {
                if (captureId.equals(c.get("captureId")) && c.get("outcome") != null) {
                    return c;
                }
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("capture " + captureId + " did not finish within " + max);
    }

    @SuppressWarnings("unchecked")
    public List<Map<String, Object>> list(String namespace, String pod) throws IOException, InterruptedException {
        Answer a = get("/v1/captures?namespace=" + namespace + "&pod=" + pod + "&limit=1000", token);
        if (a.status() != 200) {
            throw new IOException("listing captures answered " + a.status() + ": " + a.body());
        }
        return (List<Map<String, Object>>) a.body().get("captures");
    }

    public String dump(String captureId) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri.apply("/v1/captures/" + captureId))
                .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("dump " + captureId + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }

    /** A GET with the token, its body as text whatever the status ({@code /v1/captures/{id}/profile}). */
    public HttpResponse<String> text(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri.apply(path)).header("Authorization", "Bearer " + token).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static Answer answer(HttpResponse<String> r) {
        Map<String, Object> body;
        try {
            body = r.body().isBlank() ? Map.of() : Json.MAPPER.readValue(r.body(), new TypeReference<Map<String, Object>>() { });
        } catch (IOException e) {
            body = Map.of("raw", r.body());
        }
        return new Answer(r.statusCode(), body);
    }

    /** The dump file of a capture at the contracted path, exactly one. */
    public static Path dumpFile(Path dumpDir, String namespace, String pod, String container, String captureId) throws IOException {
        if (!Files.isDirectory(dumpDir)) {
            throw new IOException("no dump dir " + dumpDir);
        }
        try (Stream<Path> all = Files.walk(dumpDir)) {
            List<Path> found = all.filter(p -> p.getFileName().toString().endsWith("_" + captureId + ".log")).toList();
            if (found.size() != 1) {
                throw new IOException("expected one dump file for " + captureId + ", found " + found);
            }
            Path f = found.get(0);
            Path rel = dumpDir.relativize(f);
            if (rel.getNameCount() != 4 || !rel.getName(0).toString().matches("\\d{4}-\\d{2}-\\d{2}")
                    || !rel.getName(1).toString().equals(namespace) || !rel.getName(2).toString().equals(pod)
                    || !rel.getName(3).toString().matches(container + "_\\d{6}_" + captureId + "\\.log")) {
                throw new IOException("dump file not at the contracted path: " + rel);
            }
            return f;
        }
    }

    /** The {@code # key: value} header lines at the top of a dump. */
    public static Map<String, String> header(String dump) {
        Map<String, String> h = new HashMap<>();
        for (String line : dump.split("\n")) {
            if (!line.startsWith("# ") || !line.contains(": ")) {
                break;
            }
            h.putIfAbsent(line.substring(2, line.indexOf(": ")), line.substring(line.indexOf(": ") + 2));
        }
        return h;
    }
}
