package dev.jdd.agent.docker;

import dev.jdd.testing.Jdks;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real agent as its own process ({@code java -jar agent/target/jdd-agent.jar}), on loopback and a free port,
 * so tests and benchmarks see it only through its HTTP API and the host's {@code /proc}, as users do.
 */
public final class AgentProcess implements AutoCloseable {
    /** The JVM flags the image uses (the Dockerfile's {@code JDD_DEFAULT_JAVA_OPTS}; dist's ManifestTest holds them equal). */
    public static final List<String> JVM_FLAGS = List.of("-XX:+UseSerialGC", "-Xms8m", "-Xmx64m", "-Xmn2m", "-Xss256k",
            "-XX:MaxMetaspaceSize=64m", "-XX:ReservedCodeCacheSize=16m", "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-XX:CompileThresholdScaling=10",
            "-Xshare:auto", "-XX:TrimNativeHeapInterval=2000", "-XX:+ExitOnOutOfMemoryError");

    private final Process process;
    private final int port;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private AgentProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts the agent with these flags (plus {@code --bind} and {@code --port}) and waits for {@code /health}. */
    public static AgentProcess start(List<String> flags, Path log) throws IOException, InterruptedException {
        return start(List.of(), flags, log);
    }

    /** As {@link #start(List, Path)}, with JVM flags added to {@link #JVM_FLAGS} (the JVM's output goes to the log too). */
    public static AgentProcess start(List<String> jvmFlags, List<String> flags, Path log) throws IOException, InterruptedException {
        return start(List.of(), jvmFlags, flags, log);
    }

    /**
     * As {@link #start(List, Path)}, in a pid namespace of its own with its own {@code /proc} ({@code unshare}): the
     * agent sees none of the node's processes, as in a pod without {@code hostPID}.
     */
    public static AgentProcess startWithoutHostPid(List<String> flags, Path log) throws IOException, InterruptedException {
        return start(List.of("unshare", "--pid", "--fork", "--mount-proc", "--kill-child"), List.of(), flags, log);
    }

    private static AgentProcess start(List<String> launcher, List<String> jvmFlags, List<String> flags, Path log)
            throws IOException, InterruptedException {
        Path jar = Path.of("target/jdd-agent.jar").toAbsolutePath();
        if (!Files.exists(jar)) {
            jar = Path.of("agent/target/jdd-agent.jar").toAbsolutePath();
        }
        if (!Files.exists(jar)) {
            throw new IOException("no agent jar at " + jar + ": run mvn package first");
        }
        int port = freePort();
        List<String> cmd = new ArrayList<>(launcher);
        cmd.add(Jdks.current().resolve("bin/java").toString());
        cmd.addAll(JVM_FLAGS);
        cmd.addAll(jvmFlags);
        cmd.add("-jar");
        cmd.add(jar.toString());
        cmd.add("--bind=127.0.0.1");
        cmd.add("--port=" + port);
        cmd.addAll(flags);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("JDD_"));
        AgentProcess agent = new AgentProcess(pb.start(), port, log);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < end) {
            if (!agent.process.isAlive()) {
                throw new IOException("the agent exited with " + agent.process.exitValue() + ": " + agent.logText());
            }
            if (agent.healthy()) {
                return agent;
            }
            Thread.sleep(50);
        }
        agent.close();
        throw new IOException("the agent did not answer /health within 60 s: " + agent.logText());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    public long pid() {
        return process.pid();
    }

    public Process process() {
        return process;
    }

    /** Resident memory in bytes ({@code VmRSS}). */
    public long rss() throws IOException {
        return rssOf(process.pid());
    }

    public static long rssOf(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS for " + pid);
    }

    public boolean healthy() {
        try {
            return http.send(HttpRequest.newBuilder(uri("/health")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public String logText() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** SIGTERM, as a rollout sends; waits for the agent to exit (then kills it). */
    @Override
    public void close() {
        // Under unshare the agent is the launcher's child, and the launcher ignores TERM while it waits for it.
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
