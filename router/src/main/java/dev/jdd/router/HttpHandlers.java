package dev.jdd.router;

import dev.jdd.common.HttpLimits;
import dev.jdd.common.Json;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/** Thin HTTP adapters: read the request, call the plain classes, write the contracted status and JSON. */
final class HttpHandlers {
    private static final Logger LOG = Logger.getLogger(HttpHandlers.class.getName());

    private final Main.Components c;
    private final PageHandlers pages;

    HttpHandlers(Main.Components components, PageHandlers pages) {
        this.c = components;
        this.pages = pages;
    }

    void hooks(ServerRequest req, ServerResponse res) throws InterruptedException {
        String format = "unknown";
        try {
            byte[] body = readCapped(req, c.maxBody());
            String authProblem = c.auth().check(name -> req.headers().first(HeaderNames.create(name)).orElse(null), body);
            if (authProblem != null) {
                res.header(HeaderNames.WWW_AUTHENTICATE, "Basic realm=\"jdd\"");
                throw new HookException(401, authProblem);
            }
            ParsedWebhook hook = c.parser().parse(body);
            format = hook.format().wire();
            boolean dryRun = req.query().first("dryRun").map(v -> v.equalsIgnoreCase("true") || v.equals("1")).orElse(false);
            HookResult result = c.dispatcher().dispatch(hook, dryRun);
            c.metrics().webhook(format, result.httpStatus());
            json(res, result.httpStatus(), result);
            Dispatcher.log(result);
            c.annotations().annotate(result);
        } catch (HookException e) {
            c.metrics().webhook(format, e.status());
            LOG.info(() -> "webhook refused: " + e.status() + " " + e.getMessage());
            if (e.status() == 400 || e.status() == 413) {
                // The rest of a body that is too big or trickles in forever is not read: the connection ends.
                res.header(HeaderNames.CONNECTION, "close");
            }
            error(res, e);
        }
    }

    void captures(ServerRequest req, ServerResponse res) throws InterruptedException {
        if (!readAllowed(c, req, res)) {
            return;
        }
        try {
            int limit;
            try {
                limit = req.query().first("limit").map(Integer::parseInt).orElse(Captures.DEFAULT_LIMIT);
            } catch (NumberFormatException e) {
                throw new HookException(400, "limit must be a whole number");
            }
            if (PageHandlers.wantsHtml(req)) {
                pages.list(req, res, limit);
                return;
            }
            String namespace = req.query().first("namespace").filter(s -> !s.isEmpty()).orElse(null);
            String pod = req.query().first("pod").filter(s -> !s.isEmpty()).orElse(null);
            json(res, 200, c.captures().list(namespace, pod, limit));
        } catch (HookException e) {
            error(res, e);
        }
    }

    void dump(ServerRequest req, ServerResponse res) {
        if (!readAllowed(c, req, res)) {
            return;
        }
        if (PageHandlers.wantsHtml(req) && req.query().first("raw").isEmpty()) {
            pages.capture(req, res);
            return;
        }
        relay(req, res, c.captures(), Captures.Text.DUMP);
    }

    /**
     * Passes one capture's dump or profile through from its node's agent: 200 text/plain, or the router's JSON error
     * (400 bad node or id, 404 none there, 502 the agent failed).
     */
    static void relay(ServerRequest req, ServerResponse res, Captures captures, Captures.Text what) {
        String node = req.path().pathParameters().get("node");
        String id = req.path().pathParameters().get("id");
        Optional<InputStream> text;
        try {
            text = captures.text(node, id, what);
        } catch (HookException e) {
            error(res, e);
            return;
        } catch (AgentClient.AgentUnreachableException e) {
            json(res, 502, Map.of("error", e.getMessage()));
            return;
        }
        if (text.isEmpty()) {
            json(res, 404, Map.of("error", what.missing(node, id)));
            return;
        }
        try (InputStream in = text.get()) {
            res.status(200);
            res.header(HeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            try (OutputStream out = res.outputStream()) {
                in.transferTo(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void health(ServerRequest req, ServerResponse res) {
        boolean ready = c.agents().ready();
        json(res, ready ? 200 : 503, ready ? Map.of("status", "ready")
                : Map.of("status", "starting", "detail", "the agent cache has not synced with the Kubernetes API yet"));
    }

    void metrics(ServerRequest req, ServerResponse res) {
        res.status(200);
        res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
        res.send(c.metrics().text());
    }

    /** Reads at most {@code max} bytes; more is a 413 (the body read whole as far as the server takes it). */
    static byte[] readCapped(ServerRequest req, long max) {
        if (!req.content().hasEntity()) {
            return new byte[0];
        }
        try (InputStream in = req.content().inputStream()) {
            byte[] body = HttpLimits.readBody(in, max);
            if (body.length > max) {
                throw new HookException(413, "body is larger than --max-body=" + max + " bytes");
            }
            return body;
        } catch (IOException | UncheckedIOException e) {
            throw new HookException(400, "cannot read the body: " + e.getMessage());
        }
    }

    /** Whether the caller may read captures (the webhook credentials, or --read-token); answers 401 itself when not. */
    static boolean readAllowed(Main.Components c, ServerRequest req, ServerResponse res) {
        if (c.auth().readAllowed(req.headers().first(HeaderNames.AUTHORIZATION).orElse(null))) {
            return true;
        }
        error(res, new HookException(401, "credentials required"));
        return false;
    }

    static void json(ServerResponse res, int status, Object body) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(Json.write(body));
    }

    static void error(ServerResponse res, HookException e) {
        json(res, e.status(), Map.of("error", e.getMessage()));
    }
}
