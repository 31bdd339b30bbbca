package dev.jdd.agent.docker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link EngineClient}'s HTTP against a scripted server on a real unix socket: the answers an engine may give
 * (and some it should not). The real engine is covered by the Docker ITs.
 */
class EngineClientTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    Path dir;
    private ServerSocketChannel server;
    private EngineClient client;

    @BeforeEach
    void listen() throws IOException {
        Path socket = dir.resolve("engine.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(socket));
        client = new EngineClient(URI.create("unix://" + socket));
    }

    @AfterEach
    void close() throws IOException {
        server.close();
    }

    @Test
    void sendsTheRequestAndReadsAnAnswerWithContentLength() throws Exception {
        CompletableFuture<String> request = serveOnce("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                + "Content-Length: 11\r\n\r\n{\"Id\":\"ab\"}");

        EngineClient.Answer answer = client.call("POST", "/containers/c1/exec", "application/json",
                "{\"Cmd\":[\"sh\"]}".getBytes(StandardCharsets.UTF_8), TIMEOUT);

        assertEquals(201, answer.status());
        assertEquals("{\"Id\":\"ab\"}", answer.text());
        String sent = request.get(5, TimeUnit.SECONDS);
        assertTrue(sent.startsWith("POST /containers/c1/exec HTTP/1.1\r\n"), sent);
        assertTrue(sent.contains("\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"Cmd\":[\"sh\"]}"), sent);
        assertTrue(sent.contains("\r\nConnection: close\r\n"), sent);
    }

    @Test
    void anAnswerBeforeTheWholeBodyWasReadCountsNotTheBrokenPipe() throws Exception {
        serve(c -> {
            String head = readHeadOnly(c);
            write(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 50\r\n\r\n{\"message\":\"container rootfs is marked read-only\"}");
            c.close(); // without reading the body
            return head;
        });
        byte[] tar = new byte[8 * 1024 * 1024]; // far more than the socket buffers hold

        EngineClient.Answer answer = client.call("PUT", "/containers/c1/archive?path=%2Ftmp", "application/x-tar", tar, TIMEOUT);

        assertEquals(400, answer.status());
        assertEquals("container rootfs is marked read-only", answer.message());
    }

    @Test
    void readsAChunkedAnswer() throws Exception {
        serveOnce("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n[{\"a\r\n6;ext=1\r\n\":1}]\n\r\n0\r\n\r\n");

        EngineClient.Answer answer = client.call("GET", "/containers/json", null, null, TIMEOUT);

        assertEquals(200, answer.status());
        assertEquals("[{\"a\":1}]\n", answer.text());
    }

    @Test
    void readsAnAnswerThatEndsWithTheConnection() throws Exception {
        serveOnce("HTTP/1.0 404 Not Found\r\n\r\n{\"message\":\"No such container: x\"}");

        EngineClient.Answer answer = client.call("GET", "/containers/x/json", null, null, TIMEOUT);

        assertEquals(404, answer.status());
        assertEquals("{\"message\":\"No such container: x\"}", answer.text());
    }

    @Test
    void anEngineThatNeverAnswersTimesOut() throws Exception {
        CompletableFuture<String> request = serveSilence();
        long start = System.nanoTime();

        IOException e = assertThrows(IOException.class, () -> client.call("GET", "/version", null, null, Duration.ofMillis(300)));

        assertTrue(e.getMessage().contains("no answer within"), e.getMessage());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "must not wait for the server");
        request.cancel(true);
    }

    @Test
    void anUpgradeTheEngineNeverAnswersTimesOut() throws Exception {
        CompletableFuture<String> request = serveSilence();

        IOException e = assertThrows(IOException.class,
                () -> client.upgrade("/exec/e1/start", "{}".getBytes(StandardCharsets.UTF_8), Duration.ofMillis(300)));

        assertTrue(e.getMessage().contains("no answer within"), e.getMessage());
        request.cancel(true);
    }

    @Test
    void somethingThatIsNotHttpIsAnError() throws Exception {
        serveOnce("SSH-2.0-OpenSSH_9.6\r\n");

        IOException e = assertThrows(IOException.class, () -> client.call("GET", "/version", null, null, TIMEOUT));

        assertTrue(e.getMessage().contains("not an HTTP answer"), e.getMessage());
    }

    @Test
    void anAnswerCutShortIsAnError() throws Exception {
        serveOnce("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"partial\":");

        IOException e = assertThrows(IOException.class, () -> client.call("GET", "/version", null, null, TIMEOUT));

        assertTrue(e.getMessage().contains("in the middle of an answer"), e.getMessage());
    }

    @Test
    void anOversizedAnswerIsRefusedBeforeItIsRead() throws Exception {
        serveOnce("HTTP/1.1 200 OK\r\nContent-Length: " + (EngineClient.MAX_ANSWER_BYTES + 1) + "\r\n\r\n");

        IOException e = assertThrows(IOException.class, () -> client.call("GET", "/containers/json", null, null, TIMEOUT));

        assertTrue(e.getMessage().contains("over " + EngineClient.MAX_ANSWER_BYTES), e.getMessage());
    }

    @Test
    void anUpgradeHandsOverTheConnectionBothWays() throws Exception {
        CompletableFuture<String> request = serve(c -> {
            String head = readHead(c);
            write(c, "HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nstream:");
            // echo what the client writes until it ends its input, then end the stream
            ByteBuffer buffer = ByteBuffer.allocate(1024);
            ByteArrayOutputStream input = new ByteArrayOutputStream();
            while (c.read(buffer) >= 0) {
                input.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
            write(c, input.toString(StandardCharsets.UTF_8));
            c.close();
            return head;
        });

        try (EngineClient.Connection stream = client.upgrade("/exec/e1/start", "{\"Detach\":false}".getBytes(StandardCharsets.UTF_8), TIMEOUT)) {
            stream.write("stdin text".getBytes(StandardCharsets.UTF_8));
            stream.endInput();
            assertArrayEquals("stream:stdin text".getBytes(StandardCharsets.UTF_8), stream.stream().readAllBytes());
        }
        String sent = request.get(5, TimeUnit.SECONDS);
        assertTrue(sent.startsWith("POST /exec/e1/start HTTP/1.1\r\n"), sent);
        assertTrue(sent.contains("\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"), sent);
    }

    @Test
    void anUpgradeTheEngineRefusesReturnsItsAnswer() throws Exception {
        serveOnce("HTTP/1.1 409 Conflict\r\nContent-Length: 44\r\n\r\n{\"message\":\"Container abc is not running\"}\n\n");

        EngineClient.Refused refused = assertThrows(EngineClient.Refused.class,
                () -> client.upgrade("/exec/e1/start", "{}".getBytes(StandardCharsets.UTF_8), TIMEOUT));

        assertEquals(409, refused.answer.status());
        assertTrue(refused.answer.text().contains("is not running"), refused.answer.text());
    }

    @Test
    void theEnginesOwnWordsAreTakenFromItsJsonError() {
        byte[] error = "{\"message\":\"container rootfs is marked read-only\"}\n".getBytes(StandardCharsets.UTF_8);
        assertEquals("container rootfs is marked read-only", new EngineClient.Answer(500, error).message());
        assertEquals("page not found", new EngineClient.Answer(404, "page not found\n".getBytes(StandardCharsets.UTF_8)).message());
    }

    @Test
    void noEngineAtTheSocketIsAnError() {
        EngineClient nowhere = new EngineClient(URI.create("unix://" + dir.resolve("none.sock")));
        assertThrows(IOException.class, () -> nowhere.call("GET", "/version", null, null, TIMEOUT));
    }

    /** Answers one request with {@code answer} and closes; completes with the request it read. */
    private CompletableFuture<String> serveOnce(String answer) {
        return serve(c -> {
            String head = readHead(c);
            write(c, answer);
            c.close();
            return head;
        });
    }

    /** Holds one connection open for 3 s and answers nothing. */
    private CompletableFuture<String> serveSilence() {
        return serve(c -> {
            Thread.sleep(3000);
            return null;
        });
    }

    private interface Script {
        Object run(SocketChannel connection) throws Exception;
    }

    private CompletableFuture<String> serve(Script script) {
        CompletableFuture<String> request = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (SocketChannel c = server.accept()) {
                request.complete(String.valueOf(script.run(c)));
            } catch (Exception e) {
                request.completeExceptionally(e);
            }
        });
        return request;
    }

    /** The request head and, when it says Content-Length, its body. */
    private static String readHead(SocketChannel c) throws IOException {
        String head = readHeadOnly(c);
        int at = head.indexOf("Content-Length: ");
        if (at >= 0) {
            int length = Integer.parseInt(head.substring(at + 16, head.indexOf("\r\n", at)));
            ByteBuffer body = ByteBuffer.allocate(length);
            while (body.hasRemaining() && c.read(body) >= 0) {
                // read all of it
            }
            head += new String(body.array(), 0, body.position(), StandardCharsets.UTF_8);
        }
        return head;
    }

    private static String readHeadOnly(SocketChannel c) throws IOException {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (!seen.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            if (c.read(one) < 0) {
                break;
            }
            seen.write(one.array()[0]);
            one.clear();
        }
        return seen.toString(StandardCharsets.ISO_8859_1);
    }

    private static void write(SocketChannel c, String text) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            c.write(b);
        }
    }
}
