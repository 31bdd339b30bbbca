package dev.jdd.agent;

import dev.jdd.common.HttpLimits;
import dev.jdd.testing.SlowClients;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 200 slowloris connections and a chunked body that never ends against the real agent server: the server closes
 * every one of them within its bounds, {@code /health} answers quickly all along, disconnects log no stack trace.
 */
class SlowClientsIT {
    /** The longest the server may hold a slow client: a request head, or a body, gets at most this long. */
    static final Duration BOUND = HttpLimits.HEAD_TIME.plus(HttpLimits.BODY_TIME).plusSeconds(5);

    @TempDir
    Path dumps;

    @Test
    void slowAndUnfinishedRequestsAreClosedWithinTheBoundAndHealthKeepsAnswering() throws Exception {
        try (Agent agent = Agent.start(AgentConfig.forTest(dumps, "slow-token"), new FakeRuntime(),
                "echo".getBytes(StandardCharsets.UTF_8))) {
            SlowClients.assertBounded(agent.port(), "/v1/captures", "/health", BOUND);
        }
    }
}
