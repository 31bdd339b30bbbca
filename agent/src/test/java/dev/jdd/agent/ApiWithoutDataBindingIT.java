package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.agent.docker.AgentProcess;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged agent serves its whole API without loading Jackson's data binding, which would add about 6 MiB to
 * its idle memory for good: the JVM's class-loading log of a real agent process, after every kind of answer.
 */
class ApiWithoutDataBindingIT {
    @TempDir
    Path dir;
    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void answeringEveryKindOfRequestLoadsNoDataBindingClass() throws Exception {
        Path log = dir.resolve("agent.log");
        try (AgentProcess agent = AgentProcess.start(List.of("-Xlog:class+load"),
                List.of("--runtime=local", "--insecure", "--dump-dir=" + dir.resolve("dumps")), log)) {
            HttpResponse<String> notFound = post(agent, "{\"namespace\":\"a\",\"pod\":\"b\",\"container\":\"c\","
                    + "\"alert\":{\"name\":\"HighCpu\",\"value\":97.5,\"labels\":{\"severity\":\"page\"}}}");
            assertEquals(404, notFound.statusCode());
            assertTrue(notFound.body().startsWith("{\"outcome\":\"not-found\",\"detail\":\"no JVM named c on this host"),
                    notFound.body());
            HttpResponse<String> wrongType = post(agent, "{\"namespace\":5,\"pod\":\"b\",\"container\":\"c\"}");
            assertEquals(400, wrongType.statusCode());
            assertEquals("{\"outcome\":\"invalid\",\"detail\":\"body is not a capture request: namespace must be a string, "
                    + "not the number 5\"}", wrongType.body());
            assertEquals(400, post(agent, "not json").statusCode());
            assertEquals(400, post(agent, "[".repeat(1000)).statusCode());

            HttpResponse<String> list = get(agent, "/v1/captures");
            assertEquals(200, list.statusCode());
            assertEquals("{\"captures\":[]}", list.body());
            assertEquals(400, get(agent, "/v1/captures?limit=0").statusCode());
            assertEquals(404, get(agent, "/v1/captures/0123456789abcdef").statusCode());
            assertEquals(404, get(agent, "/v1/nothing").statusCode());
        }
        List<String> loaded = Files.readAllLines(log);
        assertTrue(loaded.stream().anyMatch(l -> l.contains(" dev.jdd.common.JsonValues ")), "no class-loading log: " + log);
        List<String> dataBinding = loaded.stream().filter(l -> l.contains("com.fasterxml.jackson.databind.")).toList();
        assertTrue(dataBinding.isEmpty(), () -> dataBinding.size() + " data-binding classes loaded, the first: " + dataBinding.get(0));
    }

    private HttpResponse<String> post(AgentProcess agent, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(agent.uri("/v1/captures")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(AgentProcess agent, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(agent.uri(path)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
