package dev.jdd.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Slow and unfinished HTTP requests against a server on loopback, as an attacker or a broken client sends them:
 * slowloris (a request head that never ends, one more header byte every {@code drip}) and a chunked body that
 * never ends (one small chunk every {@code drip}). Raw sockets on purpose: no HTTP client sends such requests.
 * Each connection runs on its own thread until the server closes it or {@link #close()} is called;
 * {@link #open()} tells how many the server still holds.
 */
public final class SlowClients implements AutoCloseable {
    private final List<Socket> sockets = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicInteger open = new AtomicInteger();
    private final ConcurrentLinkedQueue<Duration> lifetimes = new ConcurrentLinkedQueue<>();
    private volatile boolean closing;

    /** {@code slowloris} connections with a never-ending head and {@code chunked} with a never-ending body. */
    public static SlowClients start(int port, int slowloris, int chunked, String path, Duration drip) throws IOException {
        SlowClients c = new SlowClients();
        for (int i = 0; i < slowloris + chunked; i++) {
            Socket s = new Socket();
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            c.sockets.add(s);
            c.open.incrementAndGet();
            boolean body = i >= slowloris;
            Thread t = new Thread(() -> c.drip(s, body, path, drip), "slow-client-" + i);
            t.setDaemon(true);
            t.start();
            c.threads.add(t);
        }
        return c;
    }

    private void drip(Socket s, boolean body, String path, Duration drip) {
        long start = System.nanoTime();
        try (s) {
            OutputStream out = s.getOutputStream();
            if (body) {
                out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n").getBytes(StandardCharsets.US_ASCII));
            } else {
                out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ").getBytes(StandardCharsets.US_ASCII));
            }
            out.flush();
            s.setSoTimeout((int) Math.max(1, drip.toMillis()));
            InputStream in = s.getInputStream();
            byte[] answer = new byte[4096];
            while (!closing) {
                try {
                    if (in.read(answer) < 0) {
                        break;
                    }
                    // An answer (a 4xx, say) is fine; what counts is whether the server closes the connection.
                } catch (java.net.SocketTimeoutException quiet) {
                    out.write(body ? "1\r\n \r\n".getBytes(StandardCharsets.US_ASCII) : new byte[] {'a'});
                    out.flush();
                }
            }
        } catch (IOException closedByServer) {
            // reset or broken pipe: closed by the server
        } finally {
            if (!closing) {
                lifetimes.add(Duration.ofNanos(System.nanoTime() - start));
            }
            open.decrementAndGet();
        }
    }

    /** Connections the server has not closed yet. */
    public int open() {
        return open.get();
    }

    /** How long each connection the server closed had lived. */
    public List<Duration> closedAfter() {
        return List.copyOf(lifetimes);
    }

    /** Waits until the server closed every connection, or {@code max} passed; returns how many are still open. */
    public int awaitClosed(Duration max) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (open.get() > 0 && System.nanoTime() < end) {
            Thread.sleep(100);
        }
        return open.get();
    }

    @Override
    public void close() {
        closing = true;
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        for (Thread t : threads) {
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * 200 slowloris connections and one never-ending chunked body to {@code postPath}: every one must be closed by the
     * server within {@code bound}, while {@code healthPath} answers 200 in under 2 s all along, and no record that
     * Helidon logs carries a stack trace. Shared by the agent's and the router's tests.
     */
    public static void assertBounded(int port, String postPath, String healthPath, Duration bound) throws Exception {
        java.util.List<java.util.logging.LogRecord> traces = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler watch = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getThrown() != null && r.getLoggerName() != null && r.getLoggerName().startsWith("io.helidon")) {
                    traces.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.addHandler(watch);
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        java.net.http.HttpRequest health = java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + port + healthPath)).timeout(Duration.ofSeconds(5)).build();
        long start = System.nanoTime();
        try (SlowClients slow = start(port, 200, 1, postPath, Duration.ofSeconds(2))) {
            long worst = 0;
            while (slow.open() > 0 && System.nanoTime() - start < bound.plusSeconds(20).toNanos()) {
                long t = System.nanoTime();
                int status = http.send(health, java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
                org.junit.jupiter.api.Assertions.assertEquals(200, status, healthPath);
                worst = Math.max(worst, System.nanoTime() - t);
                Thread.sleep(250);
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            org.junit.jupiter.api.Assertions.assertEquals(0, slow.open(), "still held after " + took);
            org.junit.jupiter.api.Assertions.assertTrue(took.compareTo(bound) < 0, "closed only after " + took);
            long worstMs = worst / 1_000_000;
            org.junit.jupiter.api.Assertions.assertTrue(worstMs < 2000, "/health took " + worstMs + " ms");
            // Clients that go away mid-request: one line each, no stack trace.
            for (int i = 0; i < 20; i++) {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    s.getOutputStream().write(("POST " + postPath + " HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
                            .getBytes(StandardCharsets.US_ASCII));
                }
            }
            Thread.sleep(500);
            org.junit.jupiter.api.Assertions.assertEquals(java.util.List.of(), traces.stream()
                    .map(r -> r.getLevel() + " " + r.getMessage() + ": " + r.getThrown()).toList());
            System.out.println("slow clients on " + postPath + " closed after at most "
                    + slow.closedAfter().stream().max(Duration::compareTo).orElseThrow() + "; " + healthPath + " worst " + worstMs + " ms");
        } finally {
            root.removeHandler(watch);
        }
    }
}
