package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.agent.docker.AgentApiCaller;
import dev.jdd.agent.docker.AgentProcess;
import dev.jdd.testing.HotJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged agent (local runtime, real hot JVMs) SIGKILLed with one capture mid-sample and one admitted but
 * queued: after a restart on the same dump folder both ids resolve to dumps that say what happened, and the copy of
 * craw.sh the dead agent left in the node's temporary folder is gone.
 */
class KilledAgentIT {
    private static final String TOKEN = "killed-agent-token";
    @TempDir
    Path scratch;

    private List<String> flags(Path dumps) {
        return List.of("--runtime=local", "--engine=script", "--token=" + TOKEN, "--dump-dir=" + dumps, "--slots=1", "--interval=8s",
                "--exec-timeout=20s", "--node=kill-node");
    }

    private static List<Path> leftovers(long agentPid) throws Exception {
        try (Stream<Path> tmp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return tmp.filter(p -> p.getFileName().toString().startsWith("jdd-" + agentPid + "-")).toList();
        }
    }

    @Test
    void capturesInFlightWhenTheAgentIsKilledAreRecordedAtTheNextStart() throws Exception {
        Path dumps = scratch.resolve("dumps");
        try (HotJvm a = HotJvm.start(); HotJvm b = HotJvm.start()) {
            String running;
            String queued;
            long deadPid;
            try (AgentProcess agent = AgentProcess.start(flags(dumps), scratch.resolve("agent-1.log"))) {
                AgentApiCaller client = new AgentApiCaller(agent::uri, TOKEN);
                AgentApiCaller.Answer first = client.capture("host", "local", "pid-" + a.pid());
                AgentApiCaller.Answer second = client.capture("host", "local", "pid-" + b.pid());
                assertEquals("accepted", first.outcome(), first.toString());
                assertEquals("accepted", second.outcome(), second.toString());
                running = first.captureId();
                queued = second.captureId();
                deadPid = agent.pid();
                long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (leftovers(deadPid).isEmpty() && System.nanoTime() < until) {
                    Thread.sleep(20);
                }
                assertEquals(1, leftovers(deadPid).size(), "craw.sh was copied for the running capture");
                Thread.sleep(500);
                agent.process().destroyForcibly();
                assertTrue(agent.process().waitFor(10, java.util.concurrent.TimeUnit.SECONDS));
            }
            assertEquals(1, leftovers(deadPid).size(), "a killed agent cannot clean up");
            try (Stream<Path> walk = Files.walk(dumps)) {
                assertEquals(0, walk.filter(p -> p.toString().endsWith(".log")).count(), "no dump yet");
            }

            try (AgentProcess agent = AgentProcess.start(flags(dumps), scratch.resolve("agent-2.log"))) {
                AgentApiCaller client = new AgentApiCaller(agent::uri, TOKEN);
                for (String id : List.of(running, queued)) {
                    Map<String, String> header = AgentApiCaller.header(client.dump(id));
                    assertEquals("interrupted", header.get("outcome"), header.toString());
                    assertEquals(CaptureJournal.KILLED, header.get("error"), header.toString());
                    assertEquals("HighCpu", header.get("alert-name"), header.toString());
                }
                List<Map<String, Object>> listed = client.list("host", "local");
                assertEquals(2, listed.size(), listed.toString());
                assertTrue(listed.stream().allMatch(c -> "interrupted".equals(c.get("outcome"))), listed.toString());
                assertEquals(List.of(), leftovers(deadPid), "the new agent removed the dead one's folder");
                try (Stream<Path> top = Files.list(dumps)) {
                    assertFalse(top.anyMatch(p -> p.getFileName().toString().startsWith(".inflight-")), "notes are gone");
                }
                // Interrupted is no cooldown: the container can be captured at once.
                assertEquals("accepted", client.capture("host", "local", "pid-" + a.pid()).outcome());
            }
        }
    }
}
