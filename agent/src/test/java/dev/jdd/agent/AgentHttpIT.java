package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jdd.common.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real HTTP server on loopback, in front of a fake runtime. */
class AgentHttpIT {
    private static final String TOKEN = "s3cret-token";
    @TempDir
    Path dumps;
    final FakeRuntime runtime = new FakeRuntime();
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    Agent agent;

    @BeforeEach
    void start() throws IOException {
        agent = Agent.start(AgentConfig.forTest(dumps, TOKEN).withLimits(1, 1, Duration.ofMinutes(5)), runtime,
                "echo craw".getBytes(StandardCharsets.UTF_8));
    }

    @AfterEach
    void stop() {
        runtime.release();
        agent.close();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + agent.port() + path);
    }

    private HttpResponse<String> post(String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri("/v1/captures")).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws IOException {
        return Json.MAPPER.readTree(r.body());
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> walk = Files.walk(dumps)) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }

    /** Dump files, without the notes of captures in flight ({@code .inflight-<id>}). */
    private List<Path> dumpFiles() throws IOException {
        return files().stream().filter(p -> p.getFileName().toString().endsWith(".log")).toList();
    }

    private void awaitFiles(int n) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (dumpFiles().size() < n) {
            assertTrue(System.nanoTime() < deadline, "no dump file appeared");
            Thread.sleep(10);
        }
    }

    @Test
    void everyV1CallNeedsTheToken() throws Exception {
        String body = "{\"namespace\":\"shop\",\"pod\":\"web\",\"container\":\"api\"}";
        for (String token : new String[] {null, "wrong", TOKEN + "x", ""}) {
            HttpResponse<String> r = post(body, token);
            assertEquals(401, r.statusCode(), "token " + token);
        }
        assertEquals(401, get("/v1/captures", "wrong").statusCode());
        assertEquals(401, get("/v1/captures/0123456789abcdef", null).statusCode());
        assertEquals(0, runtime.finds.get(), "nothing reached the runtime");
        assertEquals(List.of(), files());
        assertEquals(200, get("/health", null).statusCode(), "health needs no token");
    }

    @Test
    void acceptsACaptureListsItAndServesItsDump() throws Exception {
        HttpResponse<String> r = post("{\"namespace\":\"shop\",\"pod\":\"web-1\",\"container\":\"api\","
                + "\"alert\":{\"name\":\"HighCpu\",\"value\":\"97\",\"labels\":{\"severity\":\"page\"}}}", TOKEN);
        assertEquals(202, r.statusCode(), r.body());
        JsonNode accepted = json(r);
        assertEquals("accepted", accepted.get("outcome").asText());
        String id = accepted.get("captureId").asText();
        assertTrue(id.matches("[0-9a-f]{16}"), id);

        JsonNode again = json(post("{\"namespace\":\"shop\",\"pod\":\"web-1\",\"container\":\"api\"}", TOKEN));
        assertEquals(id, again.get("captureId").asText());
        assertTrue(List.of("in-progress", "cooldown").contains(again.get("outcome").asText()));

        awaitFiles(1);
        Path file = dumpFiles().get(0);
        assertTrue(dumps.relativize(file).toString().matches("\\d{4}-\\d{2}-\\d{2}/shop/web-1/api_\\d{6}_" + id + "\\.log"), file.toString());
        // The scheduler indexes the file before it gives the slot back; wait until the listing shows it finished.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        JsonNode listed;
        do {
            listed = json(get("/v1/captures?namespace=shop&pod=web-1&limit=5", TOKEN)).get("captures");
            Thread.sleep(10);
        } while (listed.get(0).path("outcome").isMissingNode() && System.nanoTime() < deadline);
        assertEquals(1, listed.size());
        assertEquals(id, listed.get(0).get("captureId").asText());
        assertEquals("ok", listed.get(0).get("outcome").asText());
        assertEquals("jcmd", listed.get(0).get("engine").asText());
        assertEquals(0, json(get("/v1/captures?namespace=bank", TOKEN)).get("captures").size());

        HttpResponse<String> dump = get("/v1/captures/" + id, TOKEN);
        assertEquals(200, dump.statusCode());
        assertTrue(dump.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        assertEquals(Files.readString(file), dump.body());
        assertTrue(dump.body().contains("# capture-id: " + id + "\n"));

        JsonNode cooldown = json(post("{\"namespace\":\"shop\",\"pod\":\"web-1\",\"container\":\"api\"}", TOKEN));
        assertEquals("cooldown", cooldown.get("outcome").asText());
        assertEquals(id, cooldown.get("captureId").asText());
    }

    @Test
    void invalidBodiesAre400WithDetailAndWriteNothing() throws Exception {
        List<String> bodies = List.of(
                "",
                "not json",
                "[]",
                "null",
                "{\"namespace\":\"shop\",\"pod\":\"web\"}",
                "{\"namespace\":\"../..\",\"pod\":\"web\",\"container\":\"api\"}",
                "{\"namespace\":\"shop\",\"pod\":\"web/../../x\",\"container\":\"api\"}",
                "{\"namespace\":\"shop\",\"pod\":\"web\",\"container\":\"API\"}",
                "{\"namespace\":\"shop\",\"pod\":\"web\",\"container\":\"a;rm -rf /\"}",
                "{\"namespace\":\"shop\",\"pod\":\"web\",\"container\":\"api\",\"alert\":\"x\"}",
                "{\"namespace\":\"shop\",\"pod\":\"web\",\"container\":\"api\",\"pad\":\"" + "x".repeat(70_000) + "\"}",
                "[".repeat(1000));
        for (String body : bodies) {
            HttpResponse<String> r = post(body, TOKEN);
            assertEquals(400, r.statusCode(), body.length() > 80 ? body.substring(0, 80) : body);
            JsonNode answer = json(r);
            assertEquals("invalid", answer.get("outcome").asText());
            assertTrue(answer.hasNonNull("detail"), r.body());
        }
        assertEquals(0, runtime.finds.get());
        assertEquals(List.of(), files());
        assertEquals(400, get("/v1/captures?limit=0", TOKEN).statusCode());
        assertEquals(400, get("/v1/captures?namespace=..", TOKEN).statusCode());
    }

    @Test
    void unknownIdsAre404BeforeAnyFileIsOpened() throws Exception {
        Files.writeString(dumps.resolve("secret.txt"), "not for you");
        for (String id : List.of("0123456789abcdef", "..%2Fsecret.txt", "%2e%2e", "secret.txt", "0123456789ABCDEF")) {
            HttpResponse<String> r = get("/v1/captures/" + id, TOKEN);
            assertEquals(404, r.statusCode(), id);
            assertTrue(!r.body().contains("not for you"));
        }
    }

    @Test
    void busyStoppingAndNotFoundHaveTheirStatusCodes() throws Exception {
        runtime.hold();
        runtime.missing.add("shop/web/ghost");
        assertEquals(404, post("{\"namespace\":\"shop\",\"pod\":\"web\",\"container\":\"ghost\"}", TOKEN).statusCode());
        assertEquals(202, post("{\"namespace\":\"shop\",\"pod\":\"web\",\"container\":\"a\"}", TOKEN).statusCode());
        assertEquals(202, post("{\"namespace\":\"shop\",\"pod\":\"web\",\"container\":\"b\"}", TOKEN).statusCode());
        HttpResponse<String> busy = post("{\"namespace\":\"shop\",\"pod\":\"web\",\"container\":\"c\"}", TOKEN);
        assertEquals(429, busy.statusCode());
        assertEquals("{\"outcome\":\"busy\"}", busy.body());

        String metrics = get("/metrics", null).body();
        assertTrue(metrics.contains("jdd_agent_slots_in_use 1\n"), metrics);
        assertTrue(metrics.contains("jdd_agent_queue_depth 1\n"), metrics);
        assertTrue(metrics.contains("jdd_agent_admissions_total{outcome=\"busy\"} 1\n"), metrics);
        assertTrue(metrics.contains("jdd_agent_admissions_total{outcome=\"accepted\"} 2\n"), metrics);
        assertTrue(metrics.contains("jdd_agent_admissions_total{outcome=\"not-found\"} 1\n"), metrics);

        runtime.unavailable = "engine restarting";
        HttpResponse<String> error = post("{\"namespace\":\"shop\",\"pod\":\"web\",\"container\":\"d\"}", TOKEN);
        assertNotEquals(200, error.statusCode());
        // All places taken: busy is decided before the runtime is asked.
        assertEquals(429, error.statusCode());
    }

    @Test
    void aBurstOverHttpGetsOneDefiniteAnswerEachAndNeverExceedsTheSlots() throws Exception {
        FakeRuntime stormRuntime = new FakeRuntime();
        stormRuntime.hold();
        Path stormDumps = Files.createDirectory(dumps.resolve("storm"));
        try (Agent storm = Agent.start(AgentConfig.forTest(stormDumps, TOKEN).withLimits(10, 20, Duration.ofMinutes(5)),
                stormRuntime, "echo craw".getBytes(StandardCharsets.UTF_8))) {
            List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> sent = new java.util.ArrayList<>();
            for (int i = 0; i < 300; i++) {
                String body = "{\"namespace\":\"shop\",\"pod\":\"web\",\"container\":\"app-" + (i % 60) + "\"}";
                sent.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + storm.port() + "/v1/captures"))
                        .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            java.util.Map<Integer, Integer> byStatus = new java.util.TreeMap<>();
            for (var f : sent) {
                byStatus.merge(f.get().statusCode(), 1, Integer::sum);
            }
            assertEquals(java.util.Set.of(200, 202, 429), byStatus.keySet(), byStatus.toString());
            assertEquals(30, byStatus.get(202), "10 slots + 20 queue places: " + byStatus);
            assertEquals(300, byStatus.values().stream().mapToInt(Integer::intValue).sum());
            stormRuntime.release();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (stormRuntime.execsStarted.get() < 30 || stormRuntime.execsNow.get() > 0) {
                assertTrue(System.nanoTime() < deadline, "captures did not finish");
                Thread.sleep(10);
            }
            assertEquals(10, stormRuntime.peakExecs.get());
        }
    }

    @Test
    void aPortInUseFailsStartUpWithAClearReason() {
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> Agent.start(
                AgentConfig.forTest(dumps, TOKEN).withBind("127.0.0.1", agent.port()), new FakeRuntime(), new byte[0]));
        assertTrue(e.getMessage().contains("cannot listen on 127.0.0.1:" + agent.port()), e.getMessage());
    }
}
