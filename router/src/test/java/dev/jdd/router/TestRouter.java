package dev.jdd.router;

import dev.jdd.common.Flags;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.helidon.webserver.WebServer;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A real router (Helidon on 127.0.0.1, a free port) wired exactly as {@code Main} does. */
final class TestRouter implements AutoCloseable {
    final WebServer server;
    final Main.Components components;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private TestRouter(WebServer server, Main.Components components) {
        this.server = server;
        this.components = components;
    }

    static TestRouter start(KubernetesClient kubernetes, String... flags) {
        List<String> args = new ArrayList<>(List.of(flags));
        args.add("--bind=127.0.0.1");
        args.add("--port=0");
        Flags f = Flags.parse(args.toArray(String[]::new), Map.of());
        RouterConfig config = RouterConfig.from(f);
        f.rejectUnknown();
        Main.Components components = Main.wire(config, kubernetes);
        WebServer server = Main.server(config, components).build().start();
        return new TestRouter(server, components);
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    HttpResponse<String> post(String path, byte[] body, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).header("Content-Type", "application/json");
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    HttpResponse<String> post(String path, String body, String... headers) throws IOException, InterruptedException {
        return post(path, body.getBytes(StandardCharsets.UTF_8), headers);
    }

    HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60)).GET();
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        server.stop();
        components.close();
    }
}
