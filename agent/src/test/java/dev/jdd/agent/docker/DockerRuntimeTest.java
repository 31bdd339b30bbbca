package dev.jdd.agent.docker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.exception.InternalServerErrorException;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import com.github.dockerjava.zerodep.shaded.org.apache.hc.client5.http.psl.PublicSuffixMatcherLoader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;

/** The parts of {@link DockerRuntime} that need no engine. */
class DockerRuntimeTest {

    @Test
    void theClientSkipsTheTransportsPublicSuffixList() throws Exception {
        // The list the transport carries knows co.uk as a public suffix; the agent's clients never parse it.
        var carried = PublicSuffixMatcherLoader.class.getResource("/org/publicsuffix/list/effective_tld_names.dat");
        assertTrue(PublicSuffixMatcherLoader.load(carried).matches("co.uk"));

        DockerRuntime.client(URI.create("unix:///nonexistent/docker.sock"), 1, null).close();

        assertFalse(PublicSuffixMatcherLoader.getDefault().matches("co.uk"));
    }

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
    void theWrappersPidLineIsTakenOffStdoutAndOutputIsCapped() throws InterruptedException {
        DockerRuntime.Output out = new DockerRuntime.Output(10);

        out.onNext(new Frame(StreamType.STDOUT, "jdd-exec-p".getBytes(StandardCharsets.US_ASCII)));
        out.onNext(new Frame(StreamType.STDOUT, "id 42\nhello ".getBytes(StandardCharsets.US_ASCII)));
        out.onNext(new Frame(StreamType.STDERR, "oops\n".getBytes(StandardCharsets.US_ASCII)));
        out.onNext(new Frame(StreamType.STDOUT, "world, and more".getBytes(StandardCharsets.US_ASCII)));

        assertEquals(42, out.awaitPid(Duration.ofSeconds(1)));
        assertEquals("hello worl", new String(out.stdout(), StandardCharsets.US_ASCII));
        assertArrayEquals("oops\n".getBytes(StandardCharsets.US_ASCII), out.stderr());
    }

    @Test
    void theEnginesOwnWordsAreKeptFromItsJsonError() {
        var e = new InternalServerErrorException("Status 500: {\"message\":\"container rootfs is marked read-only\"}\n");
        assertEquals("container rootfs is marked read-only", DockerRuntime.dockerMessage(e));
        assertEquals("plain", DockerRuntime.dockerMessage(new IllegalStateException("plain")));
    }

    @Test
    void onlyUnixAndTcpEngineAddressesAreAccepted() {
        for (String bad : List.of("http://localhost:2375", "unix://", "tcp://host", "npipe:////./pipe/docker_engine")) {
            assertThrows(IllegalArgumentException.class, () -> new DockerRuntime(URI.create(bad), 1), bad);
        }
        new DockerRuntime(URI.create("unix:///nonexistent/docker.sock"), 1).close();
    }
}
