package dev.jdd.common;

import io.helidon.common.buffers.BufferData;
import io.helidon.http.Headers;
import io.helidon.http.Status;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionListener;
import io.helidon.webserver.http1.Http1ConnectionSelector;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * HTTP/1 as Helidon serves it, plus a deadline for every request head: from the moment a connection opens, and
 * again from each answer, the client has {@code limit} to send a complete request head (request line and headers);
 * otherwise the connection is closed. Helidon's own timeouts count any byte as progress, so a client that sends one
 * header byte every few seconds (slowloris), or keeps sending a body nobody reads, would hold its connection for as
 * long as it likes. Bodies that handlers read have their own deadline ({@link HttpLimits#readBody}).
 */
final class SlowRequestGuard implements ServerConnectionSelector {
    private static final Logger LOG = Logger.getLogger(SlowRequestGuard.class.getName());
    private static final ScheduledExecutorService SWEEPER = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("jdd-slow-request-guard").daemon().factory());

    private final Duration limit;
    private final ServerConnectionSelector http1;
    /** Connections waiting for a request head, with the System.nanoTime() by which it must be complete. */
    private final Map<ConnectionContext, Long> waiting = new ConcurrentHashMap<>();

    SlowRequestGuard(Duration limit) {
        this.limit = limit;
        Http1Config config = Http1Config.builder()
                .addReceiveListener(new Http1ConnectionListener() {
                    @Override
                    public void headers(ConnectionContext ctx, Headers headers) {
                        waiting.remove(ctx);
                    }
                })
                .addSendListener(new Http1ConnectionListener() {
                    @Override
                    public void status(ConnectionContext ctx, Status status) {
                        waiting.put(ctx, System.nanoTime() + limit.toNanos());
                    }
                })
                .build();
        this.http1 = Http1ConnectionSelector.builder().config(config).build();
        SWEEPER.scheduleWithFixedDelay(this::sweep, 1, 1, TimeUnit.SECONDS);
    }

    private void sweep() {
        long now = System.nanoTime();
        waiting.forEach((ctx, deadline) -> {
            if (now - deadline > 0 && waiting.remove(ctx, deadline)) {
                LOG.info(() -> "closing the connection from " + ctx.remotePeer().address()
                        + ": no complete request within " + limit.toSeconds() + " s");
                try {
                    ctx.serverSocket().close();
                } catch (RuntimeException e) {
                    // already closed by the client
                }
            }
        });
    }

    @Override
    public int bytesToIdentifyConnection() {
        return http1.bytesToIdentifyConnection();
    }

    @Override
    public Support supports(BufferData data) {
        return http1.supports(data);
    }

    @Override
    public Set<String> supportedApplicationProtocols() {
        return http1.supportedApplicationProtocols();
    }

    @Override
    public ServerConnection connection(ConnectionContext ctx) {
        waiting.put(ctx, System.nanoTime() + limit.toNanos());
        return http1.connection(ctx);
    }
}
