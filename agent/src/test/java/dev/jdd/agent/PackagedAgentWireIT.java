package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.agent.docker.AgentProcess;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged agent ({@code java -jar} with its {@code libs/}) on the wire: the exact bytes of its answers, and the
 * JSON codec's strictness (wrong types, trailing data, repeated keys, deep nesting) as 400 with the reason.
 */
class PackagedAgentWireIT {
    @TempDir
    Path dir;
    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void answersWithTheContractedBytesAndRefusesLooseJson() throws Exception {
        Path log = dir.resolve("agent.log");
        try (AgentProcess agent = AgentProcess.start(List.of(),
                List.of("--runtime=local", "--insecure", "--dump-dir=" + dir.resolve("dumps")), log)) {
            HttpResponse<String> notFound = post(agent, "{\"namespace\":\"a\",\"pod\":\"b\",\"container\":\"c\","
                    + "\"alert\":{\"name\":\"HighCpu\",\"value\":97.5,\"labels\":{\"severity\":\"page\"}}}");
            assertEquals(404, notFound.statusCode());
            assertTrue(notFound.body().startsWith("{\"outcome\":\"not-found\",\"detail\":\"no JVM named c on this host"),
                    notFound.body());
            HttpResponse<String> wrongType = post(agent, "{\"namespace\":5,\"pod\":\"b\",\"container\":\"c\"}");
            assertEquals(400, wrongType.statusCode());
            assertTrue(wrongType.body().startsWith("{\"outcome\":\"invalid\",\"detail\":\"body is not a capture request: namespace: "),
                    wrongType.body());
            assertEquals(400, post(agent, "not json").statusCode());
            assertRefused(agent, "{\"x\":" + "[".repeat(1000), "exceeds the maximum allowed (64");
            assertRefused(agent, "{\"namespace\":\"a\",\"pod\":\"b\",\"container\":\"c\"} {}", "Trailing token");
            assertRefused(agent, "{\"namespace\":\"a\",\"namespace\":\"b\",\"pod\":\"b\",\"container\":\"c\"}", "Duplicate field 'namespace'");

            HttpResponse<String> list = get(agent, "/v1/captures");
            assertEquals(200, list.statusCode());
            assertEquals("{\"captures\":[]}", list.body());
            assertEquals(400, get(agent, "/v1/captures?limit=0").statusCode());
            assertEquals(404, get(agent, "/v1/captures/0123456789abcdef").statusCode());
            assertEquals(404, get(agent, "/v1/nothing").statusCode());
        }
    }

    private void assertRefused(AgentProcess agent, String body, String reason) throws Exception {
        HttpResponse<String> answer = post(agent, body);
        assertEquals(400, answer.statusCode(), answer.body());
        assertTrue(answer.body().startsWith("{\"outcome\":\"invalid\",\"detail\":\"body is not a capture request: "), answer.body());
        assertTrue(answer.body().contains(reason), answer.body());
    }

    private HttpResponse<String> post(AgentProcess agent, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(agent.uri("/v1/captures")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(AgentProcess agent, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(agent.uri(path)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
