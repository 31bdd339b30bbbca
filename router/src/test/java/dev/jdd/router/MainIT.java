package dev.jdd.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.testing.Jdks;
import dev.jdd.testing.RoleMain;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The router's {@code main} in a child JVM, as a user starts it: {@code --help}, bad values, a port in use. */
class MainIT {

    @Test
    void helpListsEveryOptionTheConfigReadsAndExitsZero() throws Exception {
        RoleMain.Run run = RoleMain.run(Main.class, Map.of("JDD_MAX_BODY", "1MB"), "--help");
        assertEquals(0, run.exitCode(), run.stderr());
        assertEquals("", run.stderr());
        RoleMain.assertHelpListsEveryOption(Path.of("src/main/java/dev/jdd/router/RouterConfig.java"), run.stdout());
        assertTrue(run.stdout().contains("  --max-body=SIZE  (JDD_MAX_BODY)\n"), run.stdout());
    }

    @Test
    void badValuesNameTheVariableOrTheFlagTheUserGave() throws Exception {
        RoleMain.Run env = RoleMain.run(Main.class, Map.of("JDD_MAX_BODY", "1MB"), "--agents=n=http://127.0.0.1:1");
        assertEquals(2, env.exitCode());
        assertEquals("jdd router: JDD_MAX_BODY=1MB: ambiguous unit (1000 or 1024?): use KiB, MiB or GiB", env.stderr().strip());
        RoleMain.Run flag = RoleMain.run(Main.class, Map.of(), "--agents=n=ftp://x");
        assertEquals(2, flag.exitCode());
        assertEquals("jdd router: --agents: 'ftp://x' is not an http:// or https:// URL with a host", flag.stderr().strip());
    }

    @Test
    void aPortInUseIsOneLineAndExitCodeTwo() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            RoleMain.Run run = RoleMain.run(Main.class, Map.of("JDD_PORT", Integer.toString(taken.getLocalPort())),
                    "--agents=n=http://127.0.0.1:1", "--bind=127.0.0.1", "--webhook-bearer=b", "--token=t");
            assertEquals(2, run.exitCode(), run.stderr());
            assertEquals(1, run.stderrLines().size(), run.stderr());
            assertTrue(run.stderr().startsWith("jdd router: JDD_PORT=" + taken.getLocalPort() + ": cannot listen on 127.0.0.1:"),
                    run.stderr());
        }
    }

    @Test
    void thePackagedRouterLogsFabric8ThroughJavaUtilLoggingWithoutSlf4jWarnings() throws Exception {
        Path jar = Path.of("target/jdd-router.jar");
        assertTrue(Files.isRegularFile(jar), "packaged before the integration tests");
        Path err = Files.createTempFile("jdd-router-", ".err");
        ProcessBuilder pb = new ProcessBuilder(Jdks.current().resolve("bin/java").toString(), "-jar", jar.toString(),
                "--bind=127.0.0.1", "--port=0", "--token=t", "--webhook-bearer=b")
                .redirectErrorStream(true).redirectOutput(err.toFile());
        // Kubernetes discovery (no --agents), with an API address on loopback where nothing answers
        pb.environment().put("KUBECONFIG", "/nonexistent");
        pb.environment().put("KUBERNETES_MASTER", "http://127.0.0.1:9");
        Process router = pb.start();
        try {
            String log = "";
            for (int i = 0; i < 300 && !log.contains("jdd router listening"); i++) {
                Thread.sleep(100);
                log = Files.readString(err);
            }
            assertTrue(log.contains("jdd router listening"), log);
            // without a provider SLF4J warns as soon as fabric8 builds its client, before the server starts
            assertFalse(log.contains("SLF4J"), log);
        } finally {
            router.destroyForcibly().waitFor();
            Files.deleteIfExists(err);
        }
    }
}
