package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.testing.RoleMain;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The agent's {@code main} in a child JVM, as a user starts it: {@code --help}, bad values, a port in use. */
class MainIT {

    @Test
    void helpListsEveryOptionTheConfigReadsAndExitsZero() throws Exception {
        RoleMain.Run run = RoleMain.run(Main.class, Map.of("JDD_THREADS", "abc"), "--help");
        assertEquals(0, run.exitCode(), run.stderr());
        assertEquals("", run.stderr());
        RoleMain.assertHelpListsEveryOption(Path.of("src/main/java/dev/jdd/agent/AgentConfig.java"), run.stdout());
        assertTrue(run.stdout().contains("  --threads=N  (JDD_THREADS)\n"), run.stdout());
        assertTrue(run.stdout().contains("[duration 100ms..1m; default 2s]"), run.stdout());
        assertTrue(run.stdout().contains("[size, at least 1MiB; default 1GiB]"), run.stdout());
    }

    @Test
    void badValuesNameTheVariableOrTheFlagTheUserGave() throws Exception {
        RoleMain.Run env = RoleMain.run(Main.class, Map.of("JDD_TOKEN", "t", "JDD_THREADS", "abc"));
        assertEquals(2, env.exitCode());
        assertEquals("jdd agent: JDD_THREADS=abc: not a whole number", env.stderr().strip());
        RoleMain.Run flag = RoleMain.run(Main.class, Map.of("JDD_TOKEN", "t"), "--retention-bytes=1G");
        assertEquals(2, flag.exitCode());
        assertEquals("jdd agent: --retention-bytes=1G: ambiguous unit (1000 or 1024?): use KiB, MiB or GiB", flag.stderr().strip());
    }

    @Test
    void aPortInUseIsOneLineAndExitCodeTwo() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            RoleMain.Run run = RoleMain.run(Main.class, Map.of("JDD_TOKEN", "t"), "--runtime=local", "--bind=127.0.0.1",
                    "--port=" + taken.getLocalPort(), "--dump-dir=target/main-it-stacks");
            assertEquals(2, run.exitCode(), run.stderr());
            assertEquals(1, run.stderrLines().size(), run.stderr());
            assertTrue(run.stderr().startsWith("jdd agent: --port=" + taken.getLocalPort() + ": cannot listen on 127.0.0.1:"),
                    run.stderr());
            assertTrue(run.stderr().contains("Address already in use"), run.stderr());
        }
    }
}
