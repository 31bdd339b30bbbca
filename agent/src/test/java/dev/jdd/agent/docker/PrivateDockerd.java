package dev.jdd.agent.docker;

import java.io.IOException;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A second Docker engine of this test's own, on its own socket, data root, exec root and pidfile under a
 * temporary folder, so that a test can stop and start an engine without touching the shared one at
 * {@code /var/run/docker.sock}. No bridge, no iptables, vfs storage, like the shared engine here.
 */
public final class PrivateDockerd implements AutoCloseable {
    private final Path dir;
    private final Path socket;
    private Process process;

    private PrivateDockerd(Path dir) {
        this.dir = dir;
        this.socket = dir.resolve("docker.sock");
        Runtime.getRuntime().addShutdownHook(new Thread(this::stop));
    }

    /** Starts one, or explains why it cannot (no dockerd binary, not root, it would not answer). */
    public static Result start() {
        Optional<Path> dockerd = List.of("/usr/sbin/dockerd", "/usr/bin/dockerd").stream().map(Path::of)
                .filter(Files::isExecutable).findFirst();
        if (dockerd.isEmpty()) {
            return new Result(null, "no dockerd binary (install docker.io)");
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            return new Result(null, "a second dockerd needs root; running as " + System.getProperty("user.name"));
        }
        PrivateDockerd d;
        try {
            // Short path: the engine's containerd socket lives below it and unix socket paths are limited to 107 bytes.
            d = new PrivateDockerd(Files.createTempDirectory(Path.of("/tmp"), "jdd-dk"));
            d.startProcess();
        } catch (IOException e) {
            return new Result(null, "could not start a second dockerd: " + e.getMessage());
        }
        return new Result(d, null);
    }

    /** The engine, or why none could start. */
    public record Result(PrivateDockerd dockerd, String problem) {
    }

    /** The engine's process id (to SIGSTOP it, as a stalled engine). */
    public synchronized long pid() {
        return process.pid();
    }

    /** A private dockerd, or the test is skipped with the reason (also printed: skips must be visible). */
    public static PrivateDockerd startOrSkip() {
        Result started = start();
        if (started.dockerd() == null) {
            System.err.println("SKIPPED (no second dockerd): " + started.problem());
        }
        Assumptions.assumeTrue(started.dockerd() != null, () -> "no second dockerd: " + started.problem());
        return started.dockerd();
    }

    public URI host() {
        return URI.create("unix://" + socket);
    }

    /** Starts the engine again on the same folders (after {@link #stop()}). */
    public synchronized void startProcess() throws IOException {
        Path log = dir.resolve("dockerd.log");
        process = new ProcessBuilder(List.of(
                Files.isExecutable(Path.of("/usr/sbin/dockerd")) ? "/usr/sbin/dockerd" : "/usr/bin/dockerd",
                "--host", host().toString(),
                "--data-root", dir.resolve("data").toString(),
                "--exec-root", dir.resolve("exec").toString(),
                "--pidfile", dir.resolve("docker.pid").toString(),
                "--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-masq=false",
                "--storage-driver=vfs", "--exec-opt", "native.cgroupdriver=cgroupfs"))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                throw new IOException("dockerd exited with " + process.exitValue() + ": " + tail(log));
            }
            if (answers()) {
                return;
            }
            TestPods.sleep(200);
        }
        process.destroyForcibly();
        throw new IOException("dockerd did not answer within 90 s: " + tail(log));
    }

    /** Stops the engine (SIGTERM, as a restart does) and waits until it is gone. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        terminate(process);
        process = null;
    }

    /** SIGTERM, as a restart does; SIGKILL when it has not gone within a minute. Waits until it is gone. */
    public static void terminate(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public boolean answers() {
        if (!Files.exists(socket)) {
            return false;
        }
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            ch.write(ByteBuffer.wrap("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer buf = ByteBuffer.allocate(256);
            ch.read(buf);
            return new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).contains(" 200 ");
        } catch (IOException e) {
            return false;
        }
    }

    /** The last lines of a daemon's log, for an error message. */
    public static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** Stops the engine and deletes its folders. */
    @Override
    public void close() {
        stop();
        try {
            TestImages.deleteTree(dir);
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e.getMessage());
        }
    }
}
