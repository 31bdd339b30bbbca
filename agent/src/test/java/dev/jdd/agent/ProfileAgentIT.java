package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jdd.agent.local.LocalRuntime;
import dev.jdd.agent.profile.JfrProfiler;
import dev.jdd.common.Json;
import dev.jdd.testing.HotJvm;
import dev.jdd.testing.Jdks;
import dev.jdd.testing.SplitSpinner;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole agent with {@code --profile=cpu} and the local runtime: the dump names its profile, the profile sits
 * beside it and {@code GET /v1/captures/{id}/profile} serves it; a JVM without JFR still gets an ok capture, and its
 * profile's absence says why.
 */
class ProfileAgentIT {
    private static final String TOKEN = "profile-it-token";
    private static final Duration INTERVAL = Duration.ofSeconds(2);
    private static final Pattern PROFILE = Pattern.compile("(?m)^# profile: (\\S+\\.log\\.collapsed)\n# profile-samples: (\\d+)\n");
    @TempDir
    Path dumps;
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void theDumpNamesItsProfileAndTheApiServesIt() throws Exception {
        AgentConfig config = AgentConfig.forTest(dumps, TOKEN).withProfile("cpu").withCapture(10, INTERVAL, Duration.ofSeconds(30));
        try (HotJvm jvm = HotJvm.start(List.of(), Jdks.current(), SplitSpinner.class, List.of(), List.of("2"));
             HotJvm noJfr = HotJvm.start(List.of(), Jdks.current(), SplitSpinner.class, List.of("-XX:-FlightRecorder"), List.of("1"));
             Agent agent = Agent.start(config, new LocalRuntime())) {
            String base = "http://127.0.0.1:" + agent.port();
            String id = submit(base, "pid-" + jvm.pid());
            JsonNode info = awaitFinished(base, id);
            assertEquals("ok", info.get("outcome").asText(), info.toString());
            Duration took = Duration.between(Instant.parse(info.get("start").asText()), Instant.parse(info.get("end").asText()));
            assertTrue(took.compareTo(INTERVAL.plus(JfrProfiler.BOUND)) < 0, "the profile did not hold the capture up: " + took);

            String dump = get(base + "/v1/captures/" + id).body();
            Matcher m = PROFILE.matcher(dump);
            assertTrue(m.find(), dump);
            Path file = onlyFile(".log");
            assertEquals(file.getFileName() + ".collapsed", m.group(1));
            Path collapsed = file.resolveSibling(m.group(1));
            HttpResponse<String> profile = get(base + "/v1/captures/" + id + "/profile");
            assertEquals(200, profile.statusCode());
            assertEquals("text/plain; charset=utf-8", profile.headers().firstValue("Content-Type").orElse(""));
            assertEquals(Files.readString(collapsed), profile.body());
            long samples = profile.body().lines().mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1))).sum();
            assertEquals(Long.parseLong(m.group(2)), samples);
            assertTrue(samples > 0 && profile.body().lines().findFirst().orElseThrow().contains("dev.jdd.testing.SplitSpinner."),
                    profile.body());

            String without = submit(base, "pid-" + noJfr.pid());
            assertEquals("ok", awaitFinished(base, without).get("outcome").asText());
            String dumpWithout = get(base + "/v1/captures/" + without).body();
            assertTrue(dumpWithout.contains("\n# profile: unavailable (JFR disabled with -XX:-FlightRecorder)\n"), dumpWithout);
            HttpResponse<String> none = get(base + "/v1/captures/" + without + "/profile");
            assertEquals(404, none.statusCode());
            assertTrue(none.body().contains("has no profile"), none.body());
            HttpResponse<String> unknown = get(base + "/v1/captures/0000000000000000/profile");
            assertEquals(404, unknown.statusCode());
            assertTrue(unknown.body().contains("no capture with that id"), unknown.body());
            assertEquals(404, get(base + "/v1/captures/..%2F..%2Fetc/profile").statusCode());
        }
    }

    private String submit(String base, String container) throws Exception {
        HttpResponse<String> posted = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/captures"))
                .header("Authorization", "Bearer " + TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString("{\"namespace\":\"host\",\"pod\":\"local\",\"container\":\""
                        + container + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, posted.statusCode(), posted.body());
        return Json.MAPPER.readTree(posted.body()).get("captureId").asText();
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + TOKEN).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private Path onlyFile(String suffix) throws Exception {
        try (Stream<Path> walk = Files.walk(dumps)) {
            List<Path> files = walk.filter(p -> p.toString().endsWith(suffix)).toList();
            assertEquals(1, files.size(), files.toString());
            return files.get(0);
        }
    }

    private JsonNode awaitFinished(String base, String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            for (JsonNode c : Json.MAPPER.readTree(get(base + "/v1/captures?limit=10").body()).get("captures")) {
                if (c.get("captureId").asText().equals(id) && c.hasNonNull("outcome")) {
                    return c;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("capture " + id + " did not finish");
    }
}
