package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.agent.runtime.ContainerRuntime;
import dev.jdd.common.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Choices that need no runtime; the CRI ones against a real containerd are in CriRuntimeIT. */
class RuntimeChoiceTest {
    @TempDir
    Path dir;

    @Test
    void criWithoutAnAnsweringSocketNamesEverySocketTried() throws Exception {
        String missing = "unix://" + dir.resolve("missing.sock");
        Path notASocket = Files.writeString(dir.resolve("plain.sock"), "");
        ConfigException e = assertThrows(ConfigException.class,
                () -> RuntimeChoice.open("cri", null, "unix:///var/run/docker.sock", List.of(missing, notASocket.toString())));
        assertTrue(e.getMessage().startsWith("--runtime=cri: no CRI runtime answers at " + missing + ", " + notASocket), e.getMessage());
        assertTrue(e.getMessage().contains("set --runtime-endpoint"), e.getMessage());
    }

    @Test
    void autoFallsBackToDockerAndTheOthersAreWhatTheyName() {
        String missing = "unix://" + dir.resolve("missing.sock");
        try (ContainerRuntime r = RuntimeChoice.open("auto", null, "unix://" + dir.resolve("docker.sock"), List.of(missing))) {
            assertEquals("docker", r.name());
        }
        try (ContainerRuntime r = RuntimeChoice.open("local", null, "unix:///var/run/docker.sock", List.of(missing))) {
            assertEquals("local", r.name());
        }
        assertThrows(ConfigException.class, () -> RuntimeChoice.open("docker", null, "not a uri", List.of()));
    }
}
