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

    /** Applies the bounds, with bodies capped at {@code maxPayload} bytes (413 beyond). */
    public static WebServerConfig.Builder apply(WebServerConfig.Builder server, long maxPayload) {
        DisconnectLogging.install();
        return server.connectionOptions(o -> o.readTimeout(READ_TIMEOUT))
                .protocolsDiscoverServices(false)
                .connectionSelectors(java.util.List.of(new SlowRequestGuard(HEAD_TIME)))
                .idleConnectionTimeout(IDLE_TIMEOUT)
                .idleConnectionPeriod(IDLE_CHECK)
                .maxTcpConnections(MAX_CONNECTIONS)
                .maxConcurrentRequests(MAX_CONCURRENT_REQUESTS)
                .maxPayloadSize(maxPayload);
    }

    /**
     * Reads a request body: at most {@code max + 1} bytes (so that the caller sees when it is over {@code max}), and
     * only for {@link #BODY_TIME}: a body that trickles in slower fails with an IOException. Answer such a request
     * with {@code Connection: close}, so that the server does not read the rest.
     */
    public static byte[] readBody(InputStream in, long max) throws IOException {
        long deadline = System.nanoTime() + BODY_TIME.toNanos();
        long limit = max + 1;
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
