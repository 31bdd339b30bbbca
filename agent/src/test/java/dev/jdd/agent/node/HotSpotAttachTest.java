package dev.jdd.agent.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attach client against a hand-made /proc (status files, a root and a cwd folder) and a listener played
 * by the test on a real unix socket: what a JVM that answers, one that refuses the agent's user, and one that
 * never starts its listener look like.
 */
class HotSpotAttachTest {
    private static final long HOST_PID = 4242;
    private static final long NS_PID = 7;
    private static final String CATCHES_QUIT = "SigIgn:\t0000000000000000\nSigCgt:\t2000000181005ccf\n";

    @TempDir
    Path dir;
    private Path procPid;
    private Path socket;
    private final List<Long> signalled = new ArrayList<>();
    private Thread listener;

    @BeforeEach
    void fakeProc() throws IOException {
        procPid = dir.resolve("proc").resolve(Long.toString(HOST_PID));
        Files.createDirectories(procPid.resolve("root/tmp"));
        Files.createDirectories(procPid.resolve("cwd"));
        writeStatus(1000, CATCHES_QUIT);
        socket = procPid.resolve("root/tmp/.java_pid" + NS_PID);
    }

    @AfterEach
    void stopListener() throws InterruptedException {
        if (listener != null) {
            listener.interrupt();
            listener.join(5000);
        }
    }

    private void writeStatus(int uid, String signals) throws IOException {
        Files.writeString(procPid.resolve("status"), "Name:\tjava\nPid:\t" + HOST_PID + "\nNSpid:\t" + HOST_PID + "\t" + NS_PID
                + "\nUid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid + "\nGid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid
                + "\n" + signals);
    }

    private HotSpotAttach attach(HotSpotAttach.Signaller signaller) {
        return new HotSpotAttach(new ProcFs(dir.resolve("proc")), signaller);
    }

    private final HotSpotAttach.Signaller recording = (pid, signal, timeout) -> signalled.add(pid);

    /** Serves one connection on the attach socket: reads the request, answers what {@code reply} makes of it. */
    private AtomicReference<byte[]> serve(Function<byte[], byte[]> reply) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        AtomicReference<byte[]> request = new AtomicReference<>();
        listener = Thread.ofPlatform().start(() -> {
            try (server; SocketChannel client = server.accept()) {
                ByteArrayOutputStream in = new ByteArrayOutputStream();
                ByteBuffer buf = ByteBuffer.allocate(256);
                int nuls = 0;
                while (nuls < 5 && client.read(buf) > 0) {
                    for (int i = 0; i < buf.position(); i++) {
                        nuls += buf.get(i) == 0 ? 1 : 0;
                    }
                    in.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
                request.set(in.toByteArray());
                byte[] answer = reply.apply(in.toByteArray());
                if (answer != null) {
                    client.write(ByteBuffer.wrap(answer));
                }
            } catch (IOException e) {
                // The test asserts on what the client saw.
            }
        });
        return request;
    }

    @Test
    void sendsProtocolVersionOneAndReturnsTheOutputAfterTheStatus() throws Exception {
        AtomicReference<byte[]> request = serve(r -> "0\n\"main\" #1 prio=5\n".getBytes(StandardCharsets.UTF_8));
        String out = attach(recording).threadDump(HOST_PID, Duration.ofSeconds(5));
        assertEquals("\"main\" #1 prio=5\n", out);
        assertArrayEquals("1\0threaddump\0\0\0\0".getBytes(StandardCharsets.US_ASCII), request.get());
        assertTrue(signalled.isEmpty(), "a running listener needs no signal");
    }

    @Test
    void aJvmThatClosesWithoutAnswerAsAnotherUserSaysItAcceptsOnlyItsOwnUser() throws Exception {
        serve(r -> null);
        AttachException e = assertThrows(AttachException.class,
                () -> attach(recording).threadDump(HOST_PID, Duration.ofSeconds(5)));
        assumeRoot();
        assertTrue(e.getMessage().contains("accepts only its own user and group as a peer"), e.getMessage());
        assertTrue(e.getMessage().contains("runs as uid 1000 gid 1000 and the agent as uid 0 gid 0"), e.getMessage());
    }

    @Test
    void statusErrorsAndBadVersionsBecomeMessages() throws Exception {
        serve(r -> "101\n".getBytes(StandardCharsets.US_ASCII));
        AttachException e = assertThrows(AttachException.class,
                () -> attach(recording).threadDump(HOST_PID, Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("protocol version 1"), e.getMessage());

        AttachException refused = assertThrows(AttachException.class,
                () -> HotSpotAttach.parseReply("1\nOperation x not recognized!\n".getBytes(StandardCharsets.US_ASCII), "x"));
        assertTrue(refused.getMessage().contains("status 1: Operation x not recognized!"), refused.getMessage());
        assertThrows(AttachException.class, () -> HotSpotAttach.parseReply("HTTP/1.1 200\n".getBytes(StandardCharsets.US_ASCII), "x"));
    }

    @Test
    void startsTheListenerWithATriggerFileOwnedByTheTargetUserAndRemovesIt() throws Exception {
        Path trigger = procPid.resolve("cwd/.attach_pid" + NS_PID);
        AtomicReference<String> seen = new AtomicReference<>();
        HotSpotAttach.Signaller jvm = (pid, signal, timeout) -> {
            // What HotSpot's signal thread does on SIGQUIT: look for the trigger, then open the socket.
            seen.set(Files.exists(trigger) ? "uid=" + Files.getAttribute(trigger, "unix:uid") + " signal=" + signal : "none");
            serve(r -> "0\ndump\n".getBytes(StandardCharsets.US_ASCII));
        };
        assertEquals("dump\n", attach(jvm).threadDump(HOST_PID, Duration.ofSeconds(5)));
        // Root may give the file away; others keep it as theirs, which HotSpot 11+ accepts.
        String expectedUid = "root".equals(System.getProperty("user.name")) ? "1000" : seen.get().replaceAll("uid=(\\d+).*", "$1");
        assertEquals("uid=" + expectedUid + " signal=3", seen.get());
        assertFalse(Files.exists(trigger), "the trigger file is removed");
    }

    @Test
    void aProcessThatDoesNotCatchSigquitIsNeverSignalled() throws Exception {
        writeStatus(1000, "SigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n");
        AttachException e = assertThrows(AttachException.class,
                () -> attach(recording).threadDump(HOST_PID, Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("does not handle SIGQUIT"), e.getMessage());
        assertTrue(signalled.isEmpty());
        assertFalse(Files.exists(procPid.resolve("cwd/.attach_pid" + NS_PID)));
    }

    @Test
    void aListenerThatNeverStartsTimesOutAndLeavesNoTrigger() throws Exception {
        long start = System.nanoTime();
        AttachException e = assertThrows(AttachException.class,
                () -> attach(recording).threadDump(HOST_PID, Duration.ofMillis(300)));
        assertTrue(e.getMessage().contains("did not open its attach socket"), e.getMessage());
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(), "the deadline holds");
        assertEquals(List.of(HOST_PID), signalled);
        assertFalse(Files.exists(procPid.resolve("cwd/.attach_pid" + NS_PID)));
    }

    @Test
    void attachDisabledOnTheCommandLineIsNotSignalled() throws Exception {
        Files.writeString(procPid.resolve("cmdline"), "java\0-XX:+DisableAttachMechanism\0-jar\0app.jar\0");
        AttachException e = assertThrows(AttachException.class,
                () -> attach(recording).threadDump(HOST_PID, Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("DisableAttachMechanism"), e.getMessage());
        assertTrue(signalled.isEmpty());
    }

    @Test
    void aJava8JvmOfAnotherUserIsRefusedBeforeAnySignal() throws Exception {
        assumeRoot();
        Files.createSymbolicLink(procPid.resolve("exe"), Path.of("usr/lib/jvm/java-8-openjdk-amd64/jre/bin/java"));
        Files.createDirectories(procPid.resolve("root/usr/lib/jvm/java-8-openjdk-amd64/jre"));
        Files.writeString(procPid.resolve("root/usr/lib/jvm/java-8-openjdk-amd64/release"), "JAVA_VERSION=\"1.8.0_392\"\n");
        AttachException e = assertThrows(AttachException.class,
                () -> attach(recording).threadDump(HOST_PID, Duration.ofSeconds(5)));
        assertEquals("Java 8 (process 4242) accepts attach only from its own user and group; it runs as uid 1000 gid 1000"
                + " and the agent as uid 0 gid 0, so the node engine cannot capture it (the script engine can, where the"
                + " image has jstack or jcmd); not signalled", e.getMessage());
        assertTrue(signalled.isEmpty(), "no SIGQUIT: it would only print a dump to the JVM's stdout");
        assertFalse(Files.exists(procPid.resolve("cwd/.attach_pid" + NS_PID)));
    }

    @Test
    void aContainerWithItsOwnUserNamespaceIsNotSignalled() throws Exception {
        Files.createDirectories(procPid.resolve("ns"));
        Files.createSymbolicLink(procPid.resolve("ns/user"), Path.of("user:[4026532999]"));
        Path self = dir.resolve("proc/self/ns");
        Files.createDirectories(self);
        Files.createSymbolicLink(self.resolve("user"), Path.of("user:[4026531837]"));
        AttachException e = assertThrows(AttachException.class,
                () -> attach(recording).threadDump(HOST_PID, Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("own user namespace"), e.getMessage());
        assertTrue(signalled.isEmpty());
    }

    @Test
    void releaseFilesGiveTheFeatureVersion() {
        assertEquals(8, HotSpotAttach.releaseFeature("IMPLEMENTOR=x\nJAVA_VERSION=\"1.8.0_392\"\n"));
        assertEquals(17, HotSpotAttach.releaseFeature("JAVA_VERSION=\"17.0.15\"\nOS_NAME=Linux\n"));
        assertEquals(25, HotSpotAttach.releaseFeature("JAVA_VERSION=\"25\"\n"));
        assertEquals(-1, HotSpotAttach.releaseFeature("OS_NAME=Linux\n"));
    }

    private static void assumeRoot() {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "runs as root");
    }

    @Test
    void aGoneProcessSaysSo() {
        AttachException e = assertThrows(AttachException.class,
                () -> attach(recording).threadDump(99999, Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("process 99999 is gone"), e.getMessage());
    }
}
