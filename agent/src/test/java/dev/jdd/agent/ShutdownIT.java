package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jdd.common.Json;
import dev.jdd.testing.HotJvm;
import dev.jdd.testing.Jdks;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DaemonSet rollout: the agent runs as a real process, captures a really hot JVM with the real craw.sh, gets
 * SIGTERM mid-capture, and must record every accepted capture as interrupted, remove its temporary folder, end the
 * script's processes and exit.
 */
class ShutdownIT {
    private static final String TOKEN = "shutdown-it-token";
    private static final Pattern READY = Pattern.compile("agent ready on 127\\.0\\.0\\.1:(\\d+)");
    @TempDir
    Path dumps;
    @TempDir
    Path tmp;
    final HttpClient http = HttpClient.newHttpClient();
    final List<String> agentLog = Collections.synchronizedList(new ArrayList<>());

    @Test
    void sigtermMidCaptureRecordsRunningAndQueuedCapturesAndCleansUp() throws Exception {
        try (HotJvm jvm = HotJvm.start(); HotJvm second = HotJvm.start()) {
            ProcessBuilder launch = new ProcessBuilder(Jdks.current().resolve("bin/java").toString(),
                    "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                    "--token=" + TOKEN, "--runtime=local", "--engine=script", "--bind=127.0.0.1", "--port=0", "--node=it-node",
                    "--dump-dir=" + dumps, "--slots=1", "--interval=50s", "--exec-timeout=60s", "--shutdown-grace=1s")
                    .redirectErrorStream(true).redirectOutput(tmp.resolve("agent.log").toFile());
            // craw.sh makes its own temporary folder under TMPDIR: it must be gone too.
            launch.environment().put("TMPDIR", tmp.toString());
            Process agent = launch.start();
            try {
                int port = awaitReady(agent);
                String base = "http://127.0.0.1:" + port;
                String running = accept(base, "pid-" + jvm.pid());
                String queued = accept(base, "pid-" + second.pid());

                // The script runs (sampling for 50 s) as the agent's child; its folder is in our temp folder.
                List<ProcessHandle> scripts = awaitScript(agent);
                assertEquals(1, folders().size(), "one script folder while one capture runs: " + folders());

                agent.destroy(); // SIGTERM
                assertTrue(agent.waitFor(60, TimeUnit.SECONDS), "agent did not exit: " + agentLog);
                assertEquals(143, agent.exitValue(), "exit after SIGTERM: " + agentLog);
                agentLog.addAll(Files.readAllLines(tmp.resolve("agent.log")));

                String runningDump = Files.readString(dump(running));
                assertTrue(runningDump.contains("# outcome: interrupted\n"), runningDump);
                assertTrue(runningDump.contains("# container: pid-" + jvm.pid() + "\n"), runningDump);
                assertTrue(runningDump.contains("# error: the agent stopped before the capture finished\n"), runningDump);
                String queuedDump = Files.readString(dump(queued));
                assertTrue(queuedDump.contains("# outcome: interrupted\n"), queuedDump);
                assertTrue(queuedDump.contains("# error: the agent stopped before the capture ran\n"), queuedDump);
                assertEquals(List.of(), folders(), "the copied script folder is removed");
                assertFalse(Files.exists(Path.of("/tmp/jdd-profile-" + running)), "the profile's folder in the target is removed");
                try (Stream<Path> left = Files.list(tmp)) {
                    assertEquals(List.of(tmp.resolve("agent.log")), left.toList(), "nothing else is left in the temporary folder");
                }
                for (ProcessHandle p : scripts) {
                    assertFalse(p.isAlive(), "script process " + p.pid() + " still runs");
                }
                assertTrue(jvm.process().isAlive(), "the captured JVM is untouched");
                assertTrue(agentLog.stream().anyMatch(l -> l.contains("capture=" + running) && l.contains("interrupted")),
                        String.join("\n", agentLog));
                try (Stream<Path> all = Files.walk(dumps)) {
                    assertEquals(2, all.filter(Files::isRegularFile).count(), "no temporary or extra files");
                }
            } finally {
                agent.destroyForcibly();
            }
        }
    }

    /** The agent's port, from its "ready" log line (it binds port 0). Its output goes to a file: reading a pipe
     * races with the JDK draining it when the process exits. */
    private int awaitReady(Process agent) throws Exception {
        Path log = tmp.resolve("agent.log");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log)) {
                Matcher m = READY.matcher(Files.readString(log));
                if (m.find()) {
                    return Integer.parseInt(m.group(1));
                }
            }
            if (!agent.isAlive()) {
                break;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("agent not ready: " + (Files.exists(log) ? Files.readString(log) : "no output"));
    }

    private String accept(String base, String container) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/captures"))
                .header("Authorization", "Bearer " + TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString("{\"namespace\":\"host\",\"pod\":\"local\",\"container\":\""
                        + container + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, r.statusCode(), r.body());
        JsonNode answer = Json.MAPPER.readTree(r.body());
        return answer.get("captureId").asText();
    }

    private List<ProcessHandle> awaitScript(Process agent) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            List<ProcessHandle> scripts = agent.descendants()
                    .filter(p -> p.info().arguments().map(a -> String.join(" ", a).contains("craw.sh")).orElse(false))
                    .toList();
            if (!scripts.isEmpty()) {
                return agent.descendants().toList();
            }
            Thread.sleep(50);
        }
        throw new AssertionError("craw.sh did not start: " + agentLog);
    }

    private List<Path> folders() throws IOException {
        try (Stream<Path> list = Files.list(tmp)) {
            return list.filter(p -> p.getFileName().toString().startsWith("jdd-")).toList();
        }
    }

    private Path dump(String id) throws IOException {
        try (Stream<Path> walk = Files.walk(dumps)) {
            return walk.filter(p -> p.getFileName().toString().endsWith("_" + id + ".log")).findFirst()
                    .orElseThrow(() -> new AssertionError("no dump for " + id + ": " + agentLog));
        }
    }
}
