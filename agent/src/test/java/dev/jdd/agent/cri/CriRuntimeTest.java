package dev.jdd.agent.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.agent.runtime.RuntimeUnavailableException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CriRuntimeTest {
    @TempDir
    Path dir;

    @Test
    void theHostPidComesFromTheVerboseInfoJson() {
        assertEquals(4242, CriRuntime.hostPid(Map.of("info", "{\"sandboxID\":\"x\",\"pid\":4242,\"runtimeSpec\":{}}")));
        assertEquals(0, CriRuntime.hostPid(Map.of("info", "{\"pid\":\"not a number\"}")));
        assertEquals(0, CriRuntime.hostPid(Map.of("info", "not json")));
        assertEquals(0, CriRuntime.hostPid(Map.of()));
    }

    @Test
    void theSessionIsTheSixthStatFieldEvenWithParenthesesInTheName() {
        assertEquals(Optional.of(77L), ExecSessions.sessionFromStat("123 (sh (x) y) S 1 77 77 0 -1 4194560 0 0"));
        assertEquals(Optional.empty(), ExecSessions.sessionFromStat("123 (sh) Z 1 77 77 0 -1"));
        assertEquals(Optional.empty(), ExecSessions.sessionFromStat("garbage"));
    }

    @Test
    void aMissingSocketNamesTheEndpoint() {
        Path socket = dir.resolve("none.sock");
        RuntimeUnavailableException e = assertThrows(RuntimeUnavailableException.class,
                () -> CriRuntime.connect(socket.toString(), Duration.ofMillis(500)));
        assertTrue(e.getMessage().contains("unix://" + socket), e.getMessage());
    }
}
