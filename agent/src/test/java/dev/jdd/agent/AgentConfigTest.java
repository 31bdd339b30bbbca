package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.common.ConfigException;
import dev.jdd.common.Flags;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentConfigTest {
    private static AgentConfig read(Map<String, String> env, String... args) {
        return AgentConfig.from(Flags.parse(args, env), env);
    }

    @Test
    void defaultsAreTheContractsAndEnvironmentFillsIn() {
        AgentConfig c = read(Map.of("JDD_TOKEN", "t", "NODE_NAME", "node-a"));
        assertEquals("0.0.0.0", c.bind());
        assertEquals(8081, c.port());
        assertEquals("t", c.token());
        assertEquals(50, c.threads());
        assertEquals(Duration.ofSeconds(2), c.interval());
        assertEquals(10, c.slots());
        assertEquals(100, c.queue());
        assertEquals(Duration.ofMinutes(5), c.cooldown());
        assertEquals(Duration.ofSeconds(30), c.execTimeout());
        assertEquals("auto", c.runtime());
        assertEquals(null, c.runtimeEndpoint());
        assertEquals("unix:///var/run/docker.sock", c.dockerHost());
        assertEquals("node-a", c.node());
        assertEquals(Path.of("./stacks"), c.dumpDir());
        assertEquals(1L << 30, c.retentionBytes());
        assertEquals(Duration.ofDays(7), c.retentionAge());
        assertEquals(Duration.ofSeconds(20), c.shutdownGrace());
        assertEquals("auto", c.engine());
        assertEquals("cpu", c.profile());
    }

    @Test
    void flagsWinOverTheEnvironment() {
        AgentConfig c = read(Map.of("JDD_TOKEN", "env", "JDD_SLOTS", "3", "JDD_NODE", "n-env"), "--token=flag",
                "--slots=4", "--bind=127.0.0.2", "--port=0", "--runtime=local", "--retention-bytes=2GiB",
                "--retention-age=36h", "--cooldown=0s", "--exec-timeout=10s", "--interval=500ms", "--shutdown-grace=1m",
                "--engine=node");
        assertEquals("node", c.engine());
        AgentConfig cri = read(Map.of("JDD_TOKEN", "t", "JDD_RUNTIME_ENDPOINT", "unix:///run/k3s/containerd/containerd.sock"),
                "--runtime=cri");
        assertEquals("cri", cri.runtime());
        assertEquals("unix:///run/k3s/containerd/containerd.sock", cri.runtimeEndpoint());
        assertEquals("script", read(Map.of("JDD_TOKEN", "t", "JDD_ENGINE", "script")).engine());
        assertEquals("flag", c.token());
        assertEquals(4, c.slots());
        assertEquals("n-env", c.node());
        assertEquals("127.0.0.2", c.bind());
        assertEquals(2L << 30, c.retentionBytes());
        assertEquals(Duration.ofHours(36), c.retentionAge());
        assertEquals(Duration.ZERO, c.cooldown());
        assertEquals(Duration.ofMillis(500), c.interval());
        assertEquals(Duration.ofMinutes(1), c.shutdownGrace());
    }

    @Test
    void noTokenOnlyWithInsecure() {
        ConfigException e = assertThrows(ConfigException.class, () -> read(Map.of()));
        assertTrue(e.getMessage().contains("--insecure"), e.getMessage());
        assertNull(read(Map.of(), "--insecure").token());
    }

    @Test
    void badValuesStopStartUpWithOneLine() {
        String[][] bad = {
                {"--slots=0"}, {"--slots=ten"}, {"--queue=-1"}, {"--interval=2"}, {"--cooldown=soon"},
                {"--runtime=containerd"}, {"--port=70000"}, {"--retention-bytes=lots"}, {"--no-such-flag=1"},
                {"--exec-timeout=2s", "--interval=2s"}, {"--bind=not an address"}, {"--threads=0"}, {"--engine=jattach"},
                {"--engine=NODE"}, {"--profile=wall"}, {"--profile=CPU"}};
        for (String[] args : bad) {
            String[] withToken = new String[args.length + 1];
            System.arraycopy(args, 0, withToken, 0, args.length);
            withToken[args.length] = "--token=t";
            ConfigException e = assertThrows(ConfigException.class, () -> read(Map.of(), withToken), String.join(" ", args));
            assertTrue(!e.getMessage().contains("\n") && e.getMessage().contains("--"), e.getMessage());
        }
    }

    @Test
    void aBadChoiceIsNamedAsTheUserGaveIt() {
        assertEquals("JDD_RUNTIME=containerd: expected auto, cri, docker or local", assertThrows(ConfigException.class,
                () -> read(Map.of("JDD_TOKEN", "t", "JDD_RUNTIME", "containerd"))).getMessage());
        assertEquals("--runtime=containerd: expected auto, cri, docker or local", assertThrows(ConfigException.class,
                () -> read(Map.of("JDD_TOKEN", "t", "JDD_RUNTIME", "docker"), "--runtime=containerd")).getMessage());
        assertEquals("JDD_ENGINE=jattach: expected script, node or auto", assertThrows(ConfigException.class,
                () -> read(Map.of("JDD_TOKEN", "t", "JDD_ENGINE", "jattach"))).getMessage());
        assertEquals("JDD_PROFILE=wall: expected cpu or off", assertThrows(ConfigException.class,
                () -> read(Map.of("JDD_TOKEN", "t", "JDD_PROFILE", "wall"))).getMessage());
    }
}
