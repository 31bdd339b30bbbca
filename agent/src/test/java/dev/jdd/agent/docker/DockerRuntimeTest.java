package dev.jdd.agent.docker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

        out.read(new ByteArrayInputStream(frames(frame(1, "jdd-exec-p"), frame(1, "id 42\nhello "), frame(2, "oops\n"),
                frame(1, "world, and more"))));

        assertTrue(out.awaitEnd(Duration.ofSeconds(1)));
        assertNull(out.failure());
        assertEquals(42, out.awaitPid(Duration.ofSeconds(1)));
        assertTrue(out.wrapperRan());
        assertEquals("hello worl", new String(out.stdout(), StandardCharsets.US_ASCII));
        assertArrayEquals("oops\n".getBytes(StandardCharsets.US_ASCII), out.stderr());
    }

    @Test
    void aStreamCutInTheMiddleOfAFrameIsAFailureNotTheEnd() throws InterruptedException {
        DockerRuntime.Output out = new DockerRuntime.Output(100);
        byte[] whole = frames(frame(1, "jdd-exec-pid 7\nsome output"));

        out.read(new ByteArrayInputStream(Arrays.copyOf(whole, whole.length - 3)));

        assertTrue(out.awaitEnd(Duration.ofSeconds(1)));
        assertNotNull(out.failure());
        assertEquals("some out", new String(out.stdout(), StandardCharsets.US_ASCII));
    }

    @Test
    void aStreamWithoutThePidLineLeavesThePidUnknown() throws InterruptedException {
        DockerRuntime.Output out = new DockerRuntime.Output(100);

        out.read(new ByteArrayInputStream(frames(frame(2, "sh: not found\n"))));

        assertEquals(0, out.awaitPid(Duration.ofMillis(100)));
        assertFalse(out.wrapperRan());
    }

    /** One frame of Docker's multiplexed stream: type, three zero bytes, big-endian payload size, payload. */
    private static byte[] frame(int type, String payload) {
        byte[] bytes = payload.getBytes(StandardCharsets.US_ASCII);
        byte[] frame = new byte[8 + bytes.length];
        frame[0] = (byte) type;
        frame[4] = (byte) (bytes.length >>> 24);
        frame[5] = (byte) (bytes.length >>> 16);
        frame[6] = (byte) (bytes.length >>> 8);
        frame[7] = (byte) bytes.length;
        System.arraycopy(bytes, 0, frame, 8, bytes.length);
        return frame;
    }

    private static byte[] frames(byte[]... frames) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] f : frames) {
            all.writeBytes(f);
        }
        return all.toByteArray();
    }

    @Test
    void onlyUnixAndTcpEngineAddressesAreAccepted() {
        for (String bad : List.of("http://localhost:2375", "unix://", "tcp://host", "npipe:////./pipe/docker_engine")) {
            assertThrows(IllegalArgumentException.class, () -> new DockerRuntime(URI.create(bad)), bad);
        }
        new DockerRuntime(URI.create("unix:///nonexistent/docker.sock")).close();
    }
}
