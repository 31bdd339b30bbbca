package dev.jdd.agent;

import dev.jdd.common.Admission;
import dev.jdd.common.CaptureInfo;
import dev.jdd.common.HttpLimits;
import dev.jdd.common.CaptureRequest;
import dev.jdd.common.Json;
import dev.jdd.common.Names;
import dev.jdd.common.Outcome;
import dev.jdd.common.Tokens;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The agent's HTTP API: a thin adapter over {@link CaptureScheduler}, {@link DumpStore} and {@link AgentMetrics}.
 * Bodies are read and written with {@link Json}, the API's strict codec shared with the router.
 */
final class AgentHttp {
    private static final String JSON = "application/json";
    private static final int DEFAULT_LIMIT = 100;
    private static final int MAX_LIMIT = 1000;

    private final String token;
    private final CaptureScheduler scheduler;
    private final DumpStore store;
    private final AgentMetrics metrics;

    AgentHttp(String token, CaptureScheduler scheduler, DumpStore store, AgentMetrics metrics) {
        this.token = token;
        this.scheduler = scheduler;
        this.store = store;
        this.metrics = metrics;
    }

    void register(HttpRouting.Builder routing) {
        routing.post("/v1/captures", this::submit)
                .get("/v1/captures", this::list)
                .get("/v1/captures/{id}", this::dump)
                .get("/v1/captures/{id}/profile", this::profile)
                .any("/v1/*", (req, res) -> {
                    if (authorized(req, res)) {
                        json(res, Status.NOT_FOUND_404, Map.of("detail", "no such resource"));
                    }
                })
                .get("/health", this::health)
                .get("/metrics", (req, res) -> {
                    res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                    res.send(metrics.render(scheduler, store));
                });
    }

    private boolean authorized(ServerRequest req, ServerResponse res) {
        if (token == null || Tokens.bearerMatches(token, req.headers().first(HeaderNames.AUTHORIZATION).orElse(null))) {
            return true;
        }
        res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
        json(res, Status.UNAUTHORIZED_401, Map.of("detail", "missing or wrong bearer token"));
        return false;
    }

    private void submit(ServerRequest req, ServerResponse res) {
        if (!authorized(req, res)) {
            return;
        }
        boolean dryRun = req.query().first("dryRun").asOptional().map(v -> v.equalsIgnoreCase("true") || v.equals("1"))
                .orElse(false);
        Admission answer;
        try {
            answer = scheduler.submit(readRequest(req), dryRun);
        } catch (BadRequest e) {
            metrics.admitted(Outcome.INVALID);
            answer = Admission.invalid(e.getMessage());
            // The rest of a bad body (one that trickles in forever, say) is not read: the connection ends.
            res.header(HeaderNames.CONNECTION, "close");
        }
        json(res, Status.create(answer.httpStatus()), answer);
    }

    /** The body as a capture request, read with a size cap; anything else is a {@link BadRequest}. */
    private static CaptureRequest readRequest(ServerRequest req) throws BadRequest {
        byte[] body;
        try (InputStream in = req.content().inputStream()) {
            body = HttpLimits.readBody(in, AgentConfig.MAX_BODY_BYTES);
        } catch (IOException | UncheckedIOException e) {
            throw new BadRequest("cannot read the body: " + e.getMessage());
        }
        if (body.length > AgentConfig.MAX_BODY_BYTES) {
            throw new BadRequest("body is over " + AgentConfig.MAX_BODY_BYTES + " bytes");
        }
        if (body.length == 0) {
            throw new BadRequest("body is empty: expected a JSON object with namespace, pod and container");
        }
        try {
            return Json.read(body, CaptureRequest.class);
        } catch (IllegalArgumentException e) {
            throw new BadRequest("body is not a capture request: " + e.getMessage());
        }
    }

    private void list(ServerRequest req, ServerResponse res) {
        if (!authorized(req, res)) {
            return;
        }
        String namespace = req.query().first("namespace").asOptional().filter(s -> !s.isEmpty()).orElse(null);
        String pod = req.query().first("pod").asOptional().filter(s -> !s.isEmpty()).orElse(null);
        String limitText = req.query().first("limit").asOptional().orElse(Integer.toString(DEFAULT_LIMIT));
        if (namespace != null && !Names.isLabel(namespace)) {
            json(res, Status.BAD_REQUEST_400, ApiError.invalid("namespace is not a DNS-1123 label"));
            return;
        }
        if (pod != null && !Names.isSubdomain(pod)) {
            json(res, Status.BAD_REQUEST_400, ApiError.invalid("pod is not a DNS-1123 subdomain"));
            return;
        }
        int limit;
        try {
            limit = Integer.parseInt(limitText);
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            json(res, Status.BAD_REQUEST_400, ApiError.invalid("limit must be a whole number from 1 to " + MAX_LIMIT));
            return;
        }
        List<CaptureInfo> captures = scheduler.list(namespace, pod, limit);
        json(res, Status.OK_200, CaptureInfo.listBody(captures));
    }

    private void dump(ServerRequest req, ServerResponse res) {
        sendFile(req, res, false);
    }

    /** The collapsed stacks of a capture's profile; 404 saying why when there are none. */
    private void profile(ServerRequest req, ServerResponse res) {
        sendFile(req, res, true);
    }

    private void sendFile(ServerRequest req, ServerResponse res, boolean profile) {
        if (!authorized(req, res)) {
            return;
        }
        String id = req.path().pathParameters().first("id").orElse("");
        // Only ids this agent issued reach the file system: the index maps them to paths it built itself.
        Optional<Path> file = profile ? store.profile(id) : store.file(id);
        Optional<byte[]> unwritten = file.isEmpty() && !profile ? store.unwrittenText(id) : Optional.empty();
        if (unwritten.isPresent()) {
            res.header(HeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            res.send(unwritten.get());
            return;
        }
        if (file.isEmpty()) {
            String detail = DumpStore.looksLikeId(id) && scheduler.isActive(id) ? "capture " + id + " has not finished yet"
                    : profile && store.contains(id) ? "capture " + id + " has no profile (its dump's '# profile:' line says why)"
                    : "no capture with that id on this node";
            json(res, Status.NOT_FOUND_404, ApiError.notFound(detail));
            return;
        }
        sendText(res, file.get(), profile ? "the profile was removed by retention" : "the dump was removed by retention");
    }

    private static void sendText(ServerResponse res, Path file, String removed) {
        try (InputStream in = Files.newInputStream(file)) {
            res.header(HeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            res.contentLength(Files.size(file));
            try (OutputStream out = res.outputStream()) {
                in.transferTo(out);
            }
        } catch (NoSuchFileException e) {
            // removed by retention between lookup and open
            json(res, Status.NOT_FOUND_404, ApiError.notFound(removed));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Plain bytes, not Jackson: probes hit this every few seconds, and an idle agent need not load a JSON mapper. */
    private void health(ServerRequest req, ServerResponse res) {
        boolean stopping = scheduler.stopping();
        res.status(stopping ? Status.SERVICE_UNAVAILABLE_503 : Status.OK_200);
        res.header(HeaderNames.CONTENT_TYPE, JSON);
        res.send(Json.write(Map.of("status", stopping ? "stopping" : "ok", "runtime", scheduler.runtimeName())));
    }

    private static void json(ServerResponse res, Status status, Object body) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, JSON);
        res.send(Json.write(body));
    }

    /** A request the agent cannot take; the message is the {@code detail} of the 400 answer. */
    static final class BadRequest extends Exception {
        BadRequest(String message) {
            super(message);
        }
    }
}
