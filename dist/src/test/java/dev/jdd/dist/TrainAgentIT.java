package dev.jdd.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.agent.docker.AgentProcess;
import dev.jdd.testing.Jdks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * dist/train-agent.sh, the AppCDS training the image build and bench/agent-footprint.sh share, on the packaged agent
 * with the image's JVM flags: it leaves an archive that the agent maps, or says why not and leaves nothing behind.
 */
class TrainAgentIT {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Path JAR = REPO.resolve("agent/target/jdd-agent.jar");
    private static final String JAVA = Jdks.current().resolve("bin/java").toString();

    @TempDir
    Path work;

    @Test
    void leavesAnArchiveThatTheAgentMaps() throws Exception {
        Path archive = work.resolve("agent.jsa");
        Run training = train(archive, "--runtime=local");
        assertEquals(0, training.exit(), training.output());
        assertEquals("AppCDS archive: " + archive, training.output().strip());
        assertTrue(Files.size(archive) > 0);
        assertNoTrainingFolderLeft();

        // -Xshare:on: the JVM refuses to start rather than run without the archive; the agent's own classes come from it.
        List<String> cmd = new ArrayList<>(List.of(JAVA));
        cmd.addAll(AgentProcess.JVM_FLAGS);
        cmd.addAll(List.of("-Xshare:on", "-XX:SharedArchiveFile=" + archive, "-Xlog:class+load=info:stdout", "-jar", JAR.toString(), "--help"));
        Run agent = run(cmd, List.of());
        assertEquals(0, agent.exit(), agent.output());
        assertTrue(agent.output().lines().anyMatch(l -> l.contains(" dev.jdd.agent.Main source: shared objects file (top)")),
                "dev.jdd.agent.Main from the archive:\n" + agent.output());
    }

    @Test
    void anAgentThatDoesNotStartLeavesNoArchiveAndSaysWhy() throws Exception {
        Path archive = work.resolve("agent.jsa");
        Run training = train(archive, "--runtime=nonsense");
        assertEquals(1, training.exit(), training.output());
        assertTrue(training.output().startsWith("no AppCDS archive: the training run did not get ready: "), training.output());
        assertTrue(training.output().contains("--runtime=nonsense"), training.output());
        assertFalse(Files.exists(archive));
        assertNoTrainingFolderLeft();
    }

    private Run train(Path archive, String... agentFlags) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("sh", REPO.resolve("dist/train-agent.sh").toString(), JAVA, JAR.toString(), archive.toString()));
        cmd.addAll(List.of(agentFlags));
        return run(cmd, List.of("JAVA_FLAGS=" + String.join(" ", AgentProcess.JVM_FLAGS), "TMPDIR=" + tmp()));
    }

    private Path tmp() throws IOException {
        return Files.createDirectories(work.resolve("tmp"));
    }

    private void assertNoTrainingFolderLeft() throws IOException {
        try (Stream<Path> left = Files.list(tmp())) {
            assertEquals(List.of(), left.toList(), "the training's temporary folder is removed");
        }
    }

    private record Run(int exit, String output) {
    }

    private static Run run(List<String> cmd, List<String> env) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true);
        for (String pair : env) {
            int eq = pair.indexOf('=');
            builder.environment().put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        Process p = builder.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " took longer than 60 s");
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
