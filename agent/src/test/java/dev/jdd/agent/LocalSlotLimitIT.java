package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.agent.local.LocalRuntime;
import dev.jdd.common.Admission;
import dev.jdd.common.CaptureInfo;
import dev.jdd.common.Json;
import dev.jdd.testing.HotJvm;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The slot limit seen from outside the agent: real craw.sh processes on the host, counted while a burst of
 * captures runs through the HTTP API. Six pods name the same hot JVM, so six captures are admitted; two slots.
 */
class LocalSlotLimitIT {
    private static final String TOKEN = "slot-it-token";
    @TempDir
    Path dumps;

    @Test
    void neverMoreScriptsRunThanSlots() throws Exception {
        AgentConfig config = AgentConfig.forTest(dumps, TOKEN).withLimits(2, 10, Duration.ofMinutes(5))
                .withCapture(5, Duration.ofMillis(1000), Duration.ofSeconds(60));
        HttpClient http = HttpClient.newHttpClient();
        AtomicBoolean watching = new AtomicBoolean(true);
        AtomicInteger peak = new AtomicInteger();
        try (HotJvm jvm = HotJvm.start(); Agent agent = Agent.start(config, new LocalRuntime())) {
            // The in-process agent's scripts are direct children of this JVM (their own subshells carry the same
            // command line, so only children count).
            Thread watcher = Thread.ofPlatform().start(() -> {
                while (watching.get()) {
                    long scripts = ProcessHandle.current().children()
                            .filter(p -> p.info().arguments().map(a -> String.join(" ", a).contains("craw.sh")).orElse(false))
                            .count();
                    peak.accumulateAndGet((int) scripts, Math::max);
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
            for (int pod = 1; pod <= 6; pod++) {
                sent.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.port() + "/v1/captures"))
                        .header("Authorization", "Bearer " + TOKEN)
                        .POST(HttpRequest.BodyPublishers.ofString("{\"namespace\":\"host\",\"pod\":\"pod-" + pod
                                + "\",\"container\":\"pid-" + jvm.pid() + "\"}")).build(), HttpResponse.BodyHandlers.ofString()));
            }
            for (CompletableFuture<HttpResponse<String>> f : sent) {
                Admission a = Json.MAPPER.readValue(f.get().body(), Admission.class);
                assertEquals("accepted", a.outcome().wire(), f.get().body());
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            List<CaptureInfo> done;
            do {
                Thread.sleep(100);
                String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.port() + "/v1/captures"))
                        .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString()).body();
                done = List.of(Json.MAPPER.readValue(Json.MAPPER.readTree(body).get("captures").toString(), CaptureInfo[].class))
                        .stream().filter(c -> c.outcome() != null).toList();
                assertTrue(System.nanoTime() < deadline, "captures did not finish");
            } while (done.size() < 6);
            watching.set(false);
            watcher.join();
            assertEquals(6, done.stream().filter(c -> c.outcome().equals("ok")).count(), done.toString());
            assertEquals(2, peak.get(), "peak of craw.sh processes running at once");
        }
    }
}
