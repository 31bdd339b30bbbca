package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.agent.docker.AgentApiCaller;
import dev.jdd.agent.local.LocalRuntime;
import dev.jdd.testing.HotJvm;
import dev.jdd.testing.Jdks;
import dev.jdd.testing.Spinner;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Big JVMs through the agent (local runtime, default --exec-timeout): 20,000 threads ranked with {@code -n 10000},
 * and 1,000 threads 1,000 frames deep. Each either fits, with deep stacks cut at craw.sh's frame bound and output
 * over the cap marked as truncated, or ends as timed-out saying which limit ran out; never a silent cut, never
 * "the thread dump failed".
 */
class BigJvmIT {
    private static final String TOKEN = "big-jvm-token";
    @TempDir
    Path dumps;

    private Map<String, String> capture(HotJvm jvm, int threads) throws Exception {
        AgentConfig config = AgentConfig.forTest(dumps, TOKEN).withCapture(threads, Duration.ofSeconds(2), Duration.ofSeconds(30));
        try (Agent agent = Agent.start(config, new LocalRuntime())) {
            AgentApiCaller client = new AgentApiCaller(path -> URI.create("http://127.0.0.1:" + agent.port() + path), TOKEN);
            AgentApiCaller.Answer a = client.capture("host", "big", "pid-" + jvm.pid());
            assertEquals("accepted", a.outcome(), a.toString());
            Map<String, Object> listed = client.awaitFinished("host", "big", a.captureId(), Duration.ofSeconds(60));
            String dump = client.dump(a.captureId());
            Map<String, String> header = AgentApiCaller.header(dump);
            String outcome = header.get("outcome");
            System.out.println("big JVM (" + threads + " ranked): " + outcome + ", " + dump.length() + " chars, truncated="
                    + listed.get("truncated") + ", error=" + header.get("error"));
            if (outcome.equals("timed-out")) {
                assertTrue(header.get("error").contains("time limit") || header.get("error").contains("--exec-timeout"),
                        header.toString());
            } else {
                assertEquals("ok", outcome, header + "\n" + dump.substring(Math.max(0, dump.length() - 2000)));
                assertTrue(dump.endsWith("\n"), "whole lines only");
                assertEquals(header.containsKey("truncated"), Boolean.TRUE.equals(listed.get("truncated")), header.toString());
            }
            header.put("#dump", dump);
            return header;
        }
    }

    @Test
    void twentyThousandThreadsEitherFitOrTimeOutWithTheTrueReason() throws Exception {
        try (HotJvm jvm = HotJvm.start(List.of(), Jdks.current(), Spinner.class, List.of("-Xss256k", "-XX:-UsePerfData"),
                List.of("20000", "1", "0"))) {
            Map<String, String> header = capture(jvm, 10000);
            if (header.get("outcome").equals("ok")) {
                String dump = header.get("#dump");
                Matcher threads = Pattern.compile("(?m)^# threads: (\\d+)$").matcher(dump);
                assertTrue(threads.find() && Integer.parseInt(threads.group(1)) >= 20000, "all threads sampled");
                assertTrue(dump.contains("#1 cpu="), "ranked");
            }
        }
    }

    @Test
    void deepStacksAreBoundedPerThread() throws Exception {
        try (HotJvm jvm = HotJvm.start(List.of(), Jdks.current(), Spinner.class, List.of("-Xss4m", "-XX:-UsePerfData"),
                List.of("1000", "1", "1000"))) {
            Map<String, String> header = capture(jvm, 50);
            assertEquals("ok", header.get("outcome"), header.toString());
            String dump = header.get("#dump");
            Matcher more = Pattern.compile("(?m)^\\t\\.\\.\\. (\\d+) more frames$").matcher(dump);
            assertTrue(more.find(), "deep blocks end with the count of frames left out");
            assertTrue(Integer.parseInt(more.group(1)) >= 1000 - 256, more.group());
        }
    }
}
