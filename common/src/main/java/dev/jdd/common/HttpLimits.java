package dev.jdd.common;

import io.helidon.webserver.WebServerConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;

/**
 * The bounds on slow and unfinished requests that the agent's and the router's HTTP servers share, so that clients
 * that never finish (slowloris, a chunked body that never ends, a dead peer) cannot hold connections, threads and
 * memory for as long as they like.
 */
public final class HttpLimits {
    /** A socket read that waits longer than this for the next bytes ends the connection. */
    public static final Duration READ_TIMEOUT = Duration.ofSeconds(10);
    /** A connection without a request in progress is closed after this long... */
    public static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);
    /** ...checked this often. */
    public static final Duration IDLE_CHECK = Duration.ofSeconds(5);
    /** Connections open at once; more wait in the accept backlog. */
    public static final int MAX_CONNECTIONS = 1000;
    /** Requests handled at once; more get 503 at once. Well above what alerts, probes and pages send. */
    public static final int MAX_CONCURRENT_REQUESTS = 500;
    /** A request head must arrive whole within this long after the connection opens or the previous answer. */
    public static final Duration HEAD_TIME = Duration.ofSeconds(10);
    /** A request body must arrive whole within this long, however it trickles in. */
    public static final Duration BODY_TIME = Duration.ofSeconds(10);

    private HttpLimits() {
    }

    /**
     * Applies the bounds for handlers that accept bodies of up to {@code maxBody} bytes. The server itself takes twice
     * that (413 beyond, before any handler), so that a handler can read a body it refuses for its size whole
     * ({@link #readBody}).
     */
    public static WebServerConfig.Builder apply(WebServerConfig.Builder server, long maxBody) {
        DisconnectLogging.install();
        return server.connectionOptions(o -> o.readTimeout(READ_TIMEOUT))
                .protocolsDiscoverServices(false)
                .connectionSelectors(java.util.List.of(new SlowRequestGuard(HEAD_TIME)))
                .idleConnectionTimeout(IDLE_TIMEOUT)
                .idleConnectionPeriod(IDLE_CHECK)
                .maxTcpConnections(MAX_CONNECTIONS)
                .maxConcurrentRequests(MAX_CONCURRENT_REQUESTS)
                .maxPayloadSize(serverCap(maxBody));
    }

    private static long serverCap(long maxBody) {
        return Math.min(Integer.MAX_VALUE - 9, 2 * maxBody);
    }

    /**
     * Reads a request body for a handler that accepts up to {@code maxBody} bytes: the caller refuses what is longer.
     * A longer body is still read up to what the server takes at all ({@link #apply}), so that the answer is not lost:
     * a connection closed on unread bytes is reset, and the reset can destroy the answer before the client reads it.
     * Only for {@link #BODY_TIME}: a body that trickles in slower fails with an IOException. Answer such a request with
     * {@code Connection: close}, so that the server does not read the rest.
     */
    public static byte[] readBody(InputStream in, long maxBody) throws IOException {
        long deadline = System.nanoTime() + BODY_TIME.toNanos();
        long limit = serverCap(maxBody) + 1;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        while (out.size() < limit) {
            int n = in.read(chunk, 0, (int) Math.min(chunk.length, limit - out.size()));
            if (n < 0) {
                break;
            }
            out.write(chunk, 0, n);
            if (System.nanoTime() - deadline > 0) {
                throw new IOException("the body did not arrive within " + BODY_TIME.toSeconds() + " s");
            }
        }
        return out.toByteArray();
    }
}
