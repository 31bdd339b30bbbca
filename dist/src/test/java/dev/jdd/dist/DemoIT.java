package dev.jdd.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README's quickstart, exactly as a newcomer runs it: {@code scripts/demo.sh} builds nothing here (the jars are
 * packaged by now), starts a hot JVM, an agent and a router, posts a Grafana webhook, prints the dump with the hot
 * thread first, and stops everything it started.
 */
class DemoIT {

    @Test
    void demoPrintsTheHotThreadFirstAndLeavesNothingRunning() throws Exception {
        Path tmp = Files.createTempDirectory("jdd-demo-it");
        try {
            int base = freePortPair();
            Demo demo = Demo.run(tmp, base);
            assertEquals(0, demo.exitCode, demo.out);
            assertTrue(demo.out.lines().anyMatch(l -> l.startsWith("#1 ") && l.contains("\"pricing-loop\"")), demo.out);
            assertTrue(demo.out.contains("# outcome: ok"), demo.out);
            assertTrue(demo.out.contains("# jdd-capture: 1"), demo.out);
            assertTrue(demo.out.lines().anyMatch(l -> l.matches("  http://127\\.0\\.0\\.1:" + base + "/captures/demo-node/[0-9a-f]+")),
                    "the capture's page is printed: " + demo.out);
            assertFalse(demo.out.contains("\u001b["), "no terminal escapes when the output is not a terminal:\n" + demo.out);
            assertEquals(List.of(), leftovers(), "processes the demo started are gone");
            try (Stream<Path> left = Files.list(tmp)) {
                assertEquals(List.of(tmp.resolve("demo.out")), left.toList(), "the demo's temp folder is removed");
            }
        } finally {
            deleteTree(tmp);
        }
    }

    @Test
    void aPortInUseStopsTheDemoAtOnceWithTheAgentsOneLine() throws Exception {
        Path tmp = Files.createTempDirectory("jdd-demo-it");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            long start = System.nanoTime();
            Demo demo = Demo.run(tmp, taken.getLocalPort() - 1);
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            assertEquals(1, demo.exitCode, demo.out);
            assertTrue(demo.out.contains("agent stopped at start-up"), demo.out);
            assertTrue(demo.out.contains("jdd agent: --port=" + taken.getLocalPort() + ": cannot listen on 127.0.0.1:"), demo.out);
            assertFalse(demo.out.contains("Exception"), demo.out);
            assertTrue(seconds < 20, "failed fast, not after the readiness wait: " + seconds + " s");
            assertEquals(List.of(), leftovers(), "processes the demo started are gone");
        } finally {
            deleteTree(tmp);
        }
    }

    /** One run of {@code scripts/demo.sh} with its temporary folder in {@code tmp}, output to {@code tmp/demo.out}. */
    private record Demo(int exitCode, String out) {
        static Demo run(Path tmp, int portBase) throws IOException, InterruptedException {
            Path repo = Path.of("..").toAbsolutePath().normalize();
            ProcessBuilder builder = new ProcessBuilder("bash", "scripts/demo.sh")
                    .directory(repo.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(tmp.resolve("demo.out").toFile());
            builder.environment().put("JDD_DEMO_PORT_BASE", Integer.toString(portBase));
            builder.environment().put("TMPDIR", tmp.toString());
            builder.environment().remove("JAVA_HOME");
            Process demo = builder.start();
            demo.getOutputStream().close();
            assertTrue(demo.waitFor(4, TimeUnit.MINUTES), "demo finished within 4 minutes");
            return new Demo(demo.exitValue(), Files.readString(tmp.resolve("demo.out"), StandardCharsets.UTF_8));
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static List<String> leftovers() throws IOException {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("\\d+"))
                    .map(p -> {
                        try {
                            return new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
                        } catch (IOException e) {
                            return "";
                        }
                    })
                    .filter(cmd -> cmd.contains("CheckoutService") || cmd.contains("jdd-agent.jar --runtime=local --node=demo-node")
                            || cmd.contains("jdd-router.jar") && cmd.contains("demo-node="))
                    .toList();
        }
    }

    /** A port p such that p and p + 1 are both free on loopback. */
    private static int freePortPair() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (ServerSocket first = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                int p = first.getLocalPort();
                if (p >= 65535) {
                    continue;
                }
                try (ServerSocket second = new ServerSocket(p + 1, 1, InetAddress.getLoopbackAddress())) {
                    return p;
                } catch (IOException taken) {
                    // try another pair
                }
            }
        }
        throw new IOException("no two adjacent free ports on loopback");
    }
}
