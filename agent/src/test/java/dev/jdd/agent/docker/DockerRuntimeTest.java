package dev.jdd.agent.docker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;

/** The parts of {@link DockerRuntime} that need no engine. */
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
    void onlyUnixAndTcpEngineAddressesAreAccepted() {
        for (String bad : List.of("http://localhost:2375", "unix://", "tcp://host", "npipe:////./pipe/docker_engine")) {
            assertThrows(IllegalArgumentException.class, () -> new DockerRuntime(URI.create(bad)), bad);
        }
        new DockerRuntime(URI.create("unix:///nonexistent/docker.sock")).close();
    }
}
