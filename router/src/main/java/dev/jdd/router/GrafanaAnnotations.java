package dev.jdd.router;

import dev.jdd.common.Json;
import dev.jdd.common.Outcome;
import io.helidon.http.HeaderNames;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;

import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * Marks each accepted capture in Grafana ({@code POST /api/annotations}, a service-account token as Bearer): on the
 * alert's panel when the alert names one, else an organisation annotation tagged {@code jdd}, namespace and pod. Runs
 * after the webhook is answered, on its own virtual threads, at most {@link #MAX_IN_FLIGHT} at once (more are dropped and
 * counted), each bounded by the connect and read timeouts: a Grafana that is down, refuses or hangs never touches a
 * webhook. Results go to {@code jdd_router_annotations_total{result}} and, when not ok, to one log line.
 */
public final class GrafanaAnnotations implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(GrafanaAnnotations.class.getName());
    static final int MAX_IN_FLIGHT = 4;
    private static final int MAX_ANSWER_BYTES = 16 * 1024;

    private final URI grafana;
    private final String token;
    private final String publicUrl;
    private final WebClient web;
    private final RouterMetrics metrics;
    private final LongSupplier clock;
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    /**
     * @param grafana   null: annotations are off and {@link #annotate} does nothing
     * @param publicUrl the router as users reach it, for the link to the capture's page; null: the text has no link
     */
    public GrafanaAnnotations(URI grafana, String token, String publicUrl, Duration connectTimeout, Duration readTimeout,
                              RouterMetrics metrics, LongSupplier clock) {
        this.grafana = grafana;
        this.token = token;
        this.publicUrl = publicUrl;
        this.metrics = metrics;
        this.clock = clock;
        this.web = grafana == null ? null : WebClient.builder()
                .connectTimeout(connectTimeout)
                .readTimeout(readTimeout)
                .followRedirects(false)
                .build();
    }

    public boolean enabled() {
        return grafana != null;
    }

    /** One annotation to send: the capture it is about and the body of {@code POST /api/annotations}. */
    record Planned(String captureId, String node, Map<String, Object> body) {
    }

    /** Sends one annotation per accepted capture of this webhook; returns at once. */
    public void annotate(HookResult result) {
        if (grafana == null) {
            return;
        }
        for (Planned p : plan(result, publicUrl, clock.getAsLong())) {
            if (!inFlight.tryAcquire()) {
                metrics.annotation("dropped");
                LOG.warning(() -> "capture=" + p.captureId() + " node=" + p.node() + " grafana annotation dropped: "
                        + MAX_IN_FLIGHT + " already in flight");
                continue;
            }
            try {
                executor.execute(() -> {
                    try {
                        send(p);
                    } finally {
                        inFlight.release();
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                inFlight.release(); // the router is stopping
                metrics.annotation("dropped");
            }
        }
    }

    private void send(Planned p) {
        String result;
        String detail;
        try (HttpClientResponse res = web.post().uri(grafana + "/api/annotations")
                .header(HeaderNames.AUTHORIZATION, "Bearer " + token)
                .header(HeaderNames.CONTENT_TYPE, "application/json")
                .header(HeaderNames.ACCEPT, "application/json")
                .submit(Json.write(p.body()))) {
            int status = res.status().code();
            byte[] answer = res.inputStream().readNBytes(MAX_ANSWER_BYTES);
            if (status / 100 == 2) {
                metrics.annotation("ok");
                return;
            }
            result = status / 100 == 4 ? "refused" : "failed";
            detail = "Grafana answered " + status + ": " + Dispatcher.safe(new String(answer, java.nio.charset.StandardCharsets.UTF_8));
        } catch (UncheckedIOException e) {
            result = "unreachable";
            detail = e.getCause().getClass().getSimpleName() + ": " + e.getCause().getMessage();
        } catch (java.io.IOException | RuntimeException e) {
            result = "unreachable";
            detail = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        metrics.annotation(result);
        String line = "capture=" + p.captureId() + " node=" + p.node() + " grafana annotation " + result + ": "
                + Dispatcher.safe(detail);
        LOG.warning(line);
    }

    /** The annotations of one webhook: one per accepted capture, where its alert came from. */
    static List<Planned> plan(HookResult result, String publicUrl, long nowMillis) {
        List<Planned> out = new ArrayList<>();
        for (TargetResult r : result.targets()) {
            if (r.outcome() == Outcome.ACCEPTED && r.captureId() != null) {
                out.add(new Planned(r.captureId(), r.node(), body(r, publicUrl, nowMillis)));
            }
        }
        return out;
    }

    static Map<String, Object> body(TargetResult r, String publicUrl, long nowMillis) {
        AlertTarget.Origin origin = r.origin();
        Map<String, Object> body = new LinkedHashMap<>();
        boolean onPanel = origin.panelId() != null && (origin.dashboardUid() != null || origin.dashboardId() != null);
        if (onPanel) {
            if (origin.dashboardUid() != null) {
                body.put("dashboardUID", origin.dashboardUid());
            } else {
                body.put("dashboardId", origin.dashboardId());
            }
            body.put("panelId", origin.panelId());
        }
        body.put("time", origin.startsAtMillis() != null ? origin.startsAtMillis() : nowMillis);
        body.put("tags", List.of("jdd", r.namespace(), r.pod()));
        // Names are DNS-1123 (an accepted target was validated) and the id is the agent's: no markup can get in.
        String what = r.namespace() + "/" + r.pod() + "/" + r.container() + " on " + r.node();
        String url = pageUrl(publicUrl, r.node(), r.captureId());
        body.put("text", url == null ? "jdd captured the threads of " + what + " (capture " + r.captureId() + ")"
                : "jdd captured the threads of " + what + ": <a href=\"" + url + "\">capture " + r.captureId() + "</a>");
        return body;
    }

    static String pageUrl(String publicUrl, String node, String captureId) {
        if (publicUrl == null) {
            return null;
        }
        return publicUrl + Captures.pagePath(node, captureId);
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
