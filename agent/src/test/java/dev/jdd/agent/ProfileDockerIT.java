package dev.jdd.agent;

import static dev.jdd.agent.docker.TestPods.App.splitSpinner;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.agent.docker.AgentApiCaller;
import dev.jdd.agent.docker.DockerFixture;
import dev.jdd.agent.docker.DockerRuntime;
import dev.jdd.agent.docker.TestImages;
import dev.jdd.agent.docker.TestPods;
import dev.jdd.agent.profile.ProfileChecks;
import dev.jdd.testing.RequiresDocker;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --profile=cpu} through the whole agent on the real Docker engine, each target a kubelet-labelled container:
 * a JRE with the Flight Recorder, no shell, its JVM as uid 1000 (profiled: 70/30, the hot thread first, nothing
 * left in its /tmp); a JDK with a shell, whose threads the node engine dumps while the same agent records its profile
 * over the same attach socket ({@code cri.CriAgentIT} profiles while craw.sh's jcmd dumps); a JRE without {@code jdk.jfr}, and a read-only container without a writable /tmp (profile
 * unavailable, saying why). The runtime only finds the container; {@code cri.CriAgentIT} does the
 * same on containerd.
 */
@RequiresDocker
class ProfileDockerIT {
    private static final URI HOST = DockerFixture.HOST;
    private static final String TOKEN = "profile-docker-token";
    private static final Pattern PROFILE = Pattern.compile("(?m)^# profile: (.+)$");
    @RegisterExtension
    static final DockerFixture fixture = new DockerFixture();

    @TempDir
    Path dumps;

    @Test
    void profilesAShellLessJreOfAnotherUserAndSaysWhyWhereItCannot() throws Exception {
        String jfr = TestImages.jvm(fixture.docker(), HOST, TestImages.Spec.jreWithJfr());
        TestPods.Pod split = fixture.pods().startReady(splitSpinner("jfr-split").withImage(jfr).withUser("1000:1000"));
        TestPods.Pod jdk = fixture.pods().startReady(splitSpinner("jdk-script")
                .withImage(TestImages.jvm(fixture.docker(), HOST, TestImages.Spec.jdkWithJfr())));
        TestPods.Pod noJfr = fixture.pods().startReady(splitSpinner("no-jfr")
                .withImage(TestImages.jvm(fixture.docker(), HOST, TestImages.Spec.jreOnly())).withUser("1000:1000"));
        TestPods.Pod readOnly = fixture.pods().start(splitSpinner("read-only").withImage(jfr).withUser("1000:1000")
                .readOnlyWithoutTmp());
        fixture.pods().awaitLog(readOnly.appId(), "ready ", Duration.ofSeconds(120));
        long splitPid = fixture.docker().inspectContainerCmd(split.appId()).exec().getState().getPidLong();
        assertFalse(Files.exists(Path.of("/proc/" + splitPid + "/root/bin")), "no shell in the image");

        AgentConfig config = AgentConfig.forTest(dumps, TOKEN).withEngine("auto").withProfile("cpu")
                .withCapture(10, Duration.ofSeconds(5), Duration.ofSeconds(40));
        try (Agent agent = Agent.start(config, new DockerRuntime(HOST))) {
            AgentApiCaller client = new AgentApiCaller(path -> URI.create("http://127.0.0.1:" + agent.port() + path), TOKEN);
            String splitId = client.capture(split.namespace(), split.pod(), split.container()).captureId();
            String jdkId = client.capture(jdk.namespace(), jdk.pod(), jdk.container()).captureId();
            String noJfrId = client.capture(noJfr.namespace(), noJfr.pod(), noJfr.container()).captureId();
            String readOnlyId = client.capture(readOnly.namespace(), readOnly.pod(), readOnly.container()).captureId();

            String dump = awaitDump(client, split, splitId);
            assertTrue(dump.contains("# outcome: ok\n"), dump);
            assertTrue(dump.contains("# profile-sampler: cpu-time\n"), "JDK 25's CPU-time sampler: " + dump);
            Matcher named = PROFILE.matcher(dump);
            assertTrue(named.find() && named.group(1).endsWith(".log.collapsed"), dump);
            HttpResponse<String> profile = client.text("/v1/captures/" + splitId + "/profile");
            assertEquals(200, profile.statusCode(), profile.body());
            ProfileChecks.assertSplitSpinnerShares(profile.body());
            ProfileChecks.assertNoProfileFilesIn(Path.of("/proc/" + splitPid + "/root/tmp"));

            String withJdk = awaitDump(client, jdk, jdkId);
            assertTrue(withJdk.contains("# engine: node\n") && withJdk.contains("# outcome: ok\n"), withJdk);
            assertTrue(withJdk.matches("(?s).*\n# profile-samples: [1-9]\\d*\n.*"), withJdk);
            HttpResponse<String> jdkProfile = client.text("/v1/captures/" + jdkId + "/profile");
            assertTrue(jdkProfile.body().contains(";dev.jdd.testing.SplitSpinner.seventy"), jdkProfile.body());

            String withoutJfr = awaitDump(client, noJfr, noJfrId);
            assertTrue(withoutJfr.contains("# outcome: ok\n"), withoutJfr);
            assertTrue(withoutJfr.contains("\n# profile: unavailable (no JFR in this JVM: a runtime jlinked without jdk.jfr"),
                    withoutJfr);

            // Nothing writable at all: the JVM cannot open its attach socket either, so the thread dump fails too.
            String readOnlyDump = awaitDump(client, readOnly, readOnlyId);
            assertTrue(readOnlyDump.contains("\n# profile: unavailable (read-only /tmp)\n"), readOnlyDump);
        }
    }

    private static String awaitDump(AgentApiCaller client, TestPods.Pod pod, String id) throws Exception {
        client.awaitFinished(pod.namespace(), pod.pod(), id, Duration.ofSeconds(120));
        return client.dump(id);
    }
}
