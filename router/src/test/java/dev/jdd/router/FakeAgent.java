package dev.jdd.router;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.jdd.common.Admission;
import dev.jdd.common.CaptureInfo;
import dev.jdd.common.CaptureRequest;
import dev.jdd.common.Json;
import dev.jdd.common.Outcome;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A test fake of the agent's HTTP API ({@code /v1/captures}) on a real loopback address: answers with a chosen
 * admission, records what it was asked, serves capture lists and dumps. Checks the bearer token like the agent does.
 */
final class FakeAgent implements AutoCloseable {
    final String token;
    final List<CaptureRequest> requests = new CopyOnWriteArrayList<>();
    /** Requests with {@code ?dryRun=true}: answered {@code dry-run}, never in {@link #requests}. */
    final List<CaptureRequest> dryRuns = new CopyOnWriteArrayList<>();
    final List<CaptureInfo> captures = new CopyOnWriteArrayList<>();
    final Map<String, String> dumps = new ConcurrentHashMap<>();
    /** Collapsed stacks served at {@code /v1/captures/{id}/profile}. */
    final Map<String, String> profiles = new ConcurrentHashMap<>();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger peakInFlight = new AtomicInteger();
    volatile Function<CaptureRequest, Admission> answer = r -> Admission.of(Outcome.ACCEPTED, "c-" + r.pod() + "-" + r.container());
    volatile String lastDumpPath;
    volatile String lastListQuery;
    volatile long delayMillis;
    private final HttpServer server;

    private FakeAgent(HttpServer server, String token) {
        this.server = server;
        this.token = token;
    }

    static FakeAgent start(String address, int port, String token) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(address), port), 256);
        FakeAgent agent = new FakeAgent(server, token);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/captures", agent::handle);
        server.start();
        return agent;
    }

    URI uri() {
        return URI.create("http://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort());
    }

    int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            if (!("Bearer " + token).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                send(ex, 401, "{\"error\":\"token\"}");
                return;
            }
            String path = ex.getRequestURI().getRawPath();
            if (ex.getRequestMethod().equals("POST") && path.equals("/v1/captures")) {
                int now = inFlight.incrementAndGet();
                peakInFlight.accumulateAndGet(now, Math::max);
                try {
                    CaptureRequest request = Json.MAPPER.readValue(body, CaptureRequest.class);
                    if ("dryRun=true".equals(ex.getRequestURI().getRawQuery())) {
                        dryRuns.add(request);
                        send(ex, 200, new String(Json.write(Admission.of(Outcome.DRY_RUN)), StandardCharsets.UTF_8));
                        return;
                    }
                    requests.add(request);
                    if (delayMillis > 0) {
                        Thread.sleep(delayMillis);
                    }
                    Admission a = answer.apply(request);
                    send(ex, a.httpStatus(), new String(Json.write(a), StandardCharsets.UTF_8));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    inFlight.decrementAndGet();
                }
            } else if (ex.getRequestMethod().equals("GET") && path.equals("/v1/captures")) {
                lastListQuery = ex.getRequestURI().getRawQuery();
                send(ex, 200, new String(Json.write(Map.of("captures", captures)), StandardCharsets.UTF_8));
            } else if (ex.getRequestMethod().equals("GET") && path.startsWith("/v1/captures/") && path.endsWith("/profile")) {
                String id = java.net.URLDecoder.decode(path.substring("/v1/captures/".length(), path.length() - "/profile".length()),
                        StandardCharsets.UTF_8);
                String profile = profiles.get(id);
                if (profile == null) {
                    send(ex, 404, "{\"outcome\":\"not-found\"}");
                } else {
                    ex.getResponseHeaders().set("Content-Type", "text/plain");
                    send(ex, 200, profile);
                }
            } else if (ex.getRequestMethod().equals("GET") && path.startsWith("/v1/captures/")) {
                lastDumpPath = path;
                String id = java.net.URLDecoder.decode(path.substring("/v1/captures/".length()), StandardCharsets.UTF_8);
                String dump = dumps.get(id);
                if (dump == null) {
                    send(ex, 404, "{\"error\":\"no such capture\"}");
                } else {
                    ex.getResponseHeaders().set("Content-Type", "text/plain");
                    send(ex, 200, dump);
                }
            } else {
                send(ex, 404, "{}");
            }
        }
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    /** An "agent" that misbehaves at the TCP level: hangs after the request, resets the connection, or talks garbage. */
    static final class Hostile implements AutoCloseable {
        enum Mode { HANG, RESET, GARBAGE, FLOOD }

        private final ServerSocket socket;
        private final List<Socket> open = new CopyOnWriteArrayList<>();
        final AtomicInteger connections = new AtomicInteger();

        Hostile(String address, int port, Mode mode) throws IOException {
            socket = new ServerSocket(port, 50, InetAddress.getByName(address));
            Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket s = socket.accept();
                        connections.incrementAndGet();
                        open.add(s);
                        Thread.ofVirtual().start(() -> serve(s, mode));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        URI uri() {
            return URI.create("http://" + socket.getInetAddress().getHostAddress() + ":" + socket.getLocalPort());
        }

        private static void serve(Socket s, Mode mode) {
            try {
                InputStream in = s.getInputStream();
                in.read(new byte[8192]);
                switch (mode) {
                    case HANG -> Thread.sleep(60_000);
                    case RESET -> {
                        s.setSoLinger(true, 0);
                        s.close();
                    }
                    case FLOOD -> {
                        s.getOutputStream().write("HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n\r\n{\"outcome\":\"accepted\",\"x\":\""
                                .getBytes(StandardCharsets.US_ASCII));
                        byte[] junk = new byte[64 * 1024];
                        java.util.Arrays.fill(junk, (byte) 'x');
                        for (int i = 0; i < 64; i++) {
                            s.getOutputStream().write(junk);
                        }
                        s.close();
                    }
                    case GARBAGE -> {
                        s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n<html>oops</html>"
                                .getBytes(StandardCharsets.US_ASCII));
                        s.getOutputStream().flush();
                        Thread.sleep(200);
                        s.close();
                    }
                }
            } catch (IOException | InterruptedException e) {
                // the test is over or the router gave up: both fine
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
            for (Socket s : open) {
                s.close();
            }
        }
    }
}
