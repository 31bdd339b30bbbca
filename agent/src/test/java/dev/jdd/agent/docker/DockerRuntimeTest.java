package dev.jdd.agent.docker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.RETURNS_SELF;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.ListContainersCmd;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import dev.jdd.agent.runtime.KubeletLabels;
import dev.jdd.agent.runtime.Target;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;

/** The parts of {@link DockerRuntime} that need no dockerd: the tar, the exec's frames, and (mocked) how finds share calls. */
class DockerRuntimeTest {

    @Test
    void theCopyTarHoldsTheFolderAndItsFilesExecutableAndOwnedByTheScriptsUser() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("craw.sh", "echo hi\n".getBytes(StandardCharsets.UTF_8));
        files.put("lib.sh", new byte[0]);

        byte[] tar = DockerRuntime.tar(".jdd-0123456789abcdef", files, 1000, 1001);

        List<String> seen = new ArrayList<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                seen.add(e.getName() + " " + Integer.toOctalString(e.getMode()) + " " + e.getLongUserId() + ":" + e.getLongGroupId()
                        + " " + new String(in.readAllBytes(), StandardCharsets.UTF_8).strip());
            }
        }
        assertEquals(List.of(".jdd-0123456789abcdef/ 40755 1000:1001 ", ".jdd-0123456789abcdef/craw.sh 100755 1000:1001 echo hi",
                ".jdd-0123456789abcdef/lib.sh 100755 1000:1001 "), seen);
    }

    @Test
    void fileNamesCannotLeaveTheFolder() {
        for (String bad : List.of("../x", "a/b", "", ".", "..")) {
            assertThrows(IllegalArgumentException.class, () -> DockerRuntime.tar(".jdd-x", Map.of(bad, new byte[0]), 0, 0), bad);
        }
    }

    @Test
    void theExecStreamIsSplitIntoStdoutAndStderrWithoutTheWrappersPidLineAndCapped() throws InterruptedException {
        DockerRuntime.Output out = new DockerRuntime.Output(10);

        for (Frame f : List.of(frame(StreamType.STDOUT, "jdd-exec-p"), frame(StreamType.STDOUT, "id 42\nhello "),
                frame(StreamType.STDERR, "oops\n"), frame(StreamType.STDOUT, "world, and more"))) {
            out.onNext(f);
        }
        out.onComplete();

        assertTrue(out.awaitCompletion(1, TimeUnit.SECONDS));
        assertEquals(42, out.awaitPid(Duration.ofSeconds(1)));
        assertTrue(out.wrapperRan());
        assertEquals("hello worl", new String(out.stdout(), StandardCharsets.US_ASCII));
        assertArrayEquals("oops\n".getBytes(StandardCharsets.US_ASCII), out.stderr());
    }

    @Test
    void aStreamThatBreaksIsAFailureNotTheEnd() {
        DockerRuntime.Output out = new DockerRuntime.Output(100);
        out.onNext(frame(StreamType.STDOUT, "jdd-exec-pid 7\nsome out"));

        out.onError(new IOException("Connection reset"));

        RuntimeException e = assertThrows(RuntimeException.class, () -> out.awaitCompletion(1, TimeUnit.SECONDS));
        assertTrue(String.valueOf(e.getCause()).contains("Connection reset"), String.valueOf(e));
        assertEquals("some out", new String(out.stdout(), StandardCharsets.US_ASCII));
    }

    @Test
    void aStreamWithoutThePidLineLeavesThePidUnknown() throws InterruptedException {
        DockerRuntime.Output out = new DockerRuntime.Output(100);

        out.onNext(frame(StreamType.STDERR, "sh: not found\n"));
        out.onComplete();

        assertEquals(0, out.awaitPid(Duration.ofMillis(100)));
        assertFalse(out.wrapperRan());
    }

    @Test
    void stdinForTheLineFeedingWrapperIsTextEndingWithANewline() {
        assertArrayEquals("a\nb\n".getBytes(StandardCharsets.US_ASCII), DockerRuntime.asLines("a\nb".getBytes(StandardCharsets.US_ASCII)));
        assertArrayEquals("a\n".getBytes(StandardCharsets.US_ASCII), DockerRuntime.asLines("a\n".getBytes(StandardCharsets.US_ASCII)));
        assertThrows(IllegalArgumentException.class, () -> DockerRuntime.asLines(new byte[] {'a', 0, '\n'}));
    }

    private static Frame frame(StreamType type, String payload) {
        return new Frame(type, payload.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void theTransportsPublicSuffixListIsSkipped() {
        // If a docker-java update moves the loader, this fails instead of the agent quietly growing by 2.5 MiB.
        assertTrue(DockerRuntime.skipPublicSuffixList());
    }

    @Test
    void onlyUnixAndTcpEngineAddressesAreAccepted() {
        for (String bad : List.of("http://localhost:2375", "unix://", "tcp://host", "npipe:////./pipe/docker_engine")) {
            assertThrows(IllegalArgumentException.class, () -> new DockerRuntime(URI.create(bad)), bad);
        }
        new DockerRuntime(URI.create("unix:///nonexistent/docker.sock")).close();
    }

    @Test
    void concurrentFindsOfOneContainerShareOneListAndOneInspect() throws Exception {
        DockerClient api = mock(DockerClient.class);
        ListContainersCmd list = mock(ListContainersCmd.class, RETURNS_SELF);
        InspectContainerCmd inspect = mock(InspectContainerCmd.class, RETURNS_SELF);
        Container container = mock(Container.class);
        when(container.getId()).thenReturn("c0ffee");
        when(container.getLabels()).thenReturn(Map.of(KubeletLabels.NAMESPACE, "shop", KubeletLabels.POD, "web",
                KubeletLabels.CONTAINER, "api"));
        InspectContainerResponse inspected = mock(InspectContainerResponse.class);
        InspectContainerResponse.ContainerState state = mock(InspectContainerResponse.ContainerState.class);
        when(inspected.getName()).thenReturn("/k8s_api_web");
        when(inspected.getState()).thenReturn(state);
        when(state.getRunning()).thenReturn(true);
        when(state.getPidLong()).thenReturn(4242L);
        CountDownLatch listing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        when(api.listContainersCmd()).thenReturn(list);
        when(list.exec()).thenAnswer(call -> {
            listing.countDown();
            release.await();
            return List.of(container);
        });
        when(api.inspectContainerCmd("c0ffee")).thenReturn(inspect);
        when(inspect.exec()).thenReturn(inspected);

        try (DockerRuntime runtime = new DockerRuntime(URI.create("unix:///nonexistent/docker.sock"), api, api)) {
            List<Optional<Target>> found = new CopyOnWriteArrayList<>();
            List<Thread> finds = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                finds.add(Thread.ofPlatform().start(() -> found.add(runtime.find("shop", "web", "api"))));
                if (i == 0) {
                    assertTrue(listing.await(5, TimeUnit.SECONDS), "the first find lists the containers");
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (finds.stream().filter(t -> t.getState() == Thread.State.WAITING).count() < finds.size()
                    && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            release.countDown();
            for (Thread t : finds) {
                t.join(5_000);
            }

            assertEquals(Collections.nCopies(10, Optional.of(new Target("c0ffee", "k8s_api_web", 4242))), found);
        }
        verify(list).exec();
        verify(list).withStatusFilter(List.of("running"));
        verify(list).withLabelFilter(List.of(KubeletLabels.POD));
        verify(inspect).exec();
    }
}
