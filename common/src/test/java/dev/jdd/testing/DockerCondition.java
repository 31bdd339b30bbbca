package dev.jdd.testing;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/** See {@link RequiresDocker}. Pings the engine with a raw HTTP request so that it needs no client library. */
public final class DockerCondition implements ExecutionCondition {
    private static volatile String cachedProblem;
    private static volatile boolean checked;

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        String problem = problem();
        if (problem == null) {
            return ConditionEvaluationResult.enabled("Docker engine answers at " + socket());
        }
        if ("1".equals(System.getenv("JDD_REQUIRE_DOCKER"))) {
            throw new IllegalStateException("JDD_REQUIRE_DOCKER=1 but " + problem);
        }
        System.err.println("SKIPPED (no Docker): " + context.getDisplayName() + ": " + problem);
        return ConditionEvaluationResult.disabled("no Docker engine: " + problem);
    }

    /** The engine's unix socket. */
    public static Path socket() {
        String host = System.getenv("DOCKER_HOST");
        if (host != null && host.startsWith("unix://")) {
            return Path.of(host.substring("unix://".length()));
        }
        return Path.of("/var/run/docker.sock");
    }

    /** Null when the engine answers {@code GET /_ping}, else why not. */
    public static synchronized String problem() {
        if (!checked) {
            cachedProblem = ping();
            checked = true;
        }
        return cachedProblem;
    }

    private static String ping() {
        Path socket = socket();
        if (!Files.exists(socket)) {
            return socket + " does not exist";
        }
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            ch.write(ByteBuffer.wrap("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer buf = ByteBuffer.allocate(512);
            ch.read(buf);
            String answer = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII);
            return answer.startsWith("HTTP/1.") && answer.contains(" 200 ") ? null
                    : socket + " answered: " + answer.lines().findFirst().orElse("nothing");
        } catch (IOException e) {
            return socket + ": " + e.getMessage();
        }
    }
}
