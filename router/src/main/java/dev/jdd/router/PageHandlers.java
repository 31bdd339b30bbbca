package dev.jdd.router;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Thin HTTP adapters of the captures pages: the list (rendered by {@link CapturesPage}), one capture's page (a static
 * template whose script asks {@code .../summary} and {@code .../profile}), and those two data routes.
 */
final class PageHandlers {
    static final String STATIC_ROOT = "dev/jdd/router/web";
    /** No inline script, no inline style, nothing from elsewhere: the pages only load the router's own assets. */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self';"
            + " base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private final Main.Components c;
    private final byte[] capturePage;

    PageHandlers(Main.Components components) {
        this.c = components;
        try (InputStream in = PageHandlers.class.getClassLoader().getResourceAsStream(STATIC_ROOT + "/capture.html")) {
            if (in == null) {
                throw new IllegalStateException(STATIC_ROOT + "/capture.html is missing from the class path");
            }
            this.capturePage = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean wantsHtml(ServerRequest req) {
        return req.headers().first(HeaderNames.ACCEPT).orElse("").contains("text/html");
    }

    /** {@code GET /captures} with {@code Accept: text/html}. */
    void list(ServerRequest req, ServerResponse res, int limit) throws InterruptedException {
        CaptureViews.Filter filter = new CaptureViews.Filter(param(req, "namespace"), param(req, "pod"), param(req, "node"),
                param(req, "outcome"), param(req, "since"));
        Captures.Listing listing = c.views().list(filter, limit, Instant.now());
        Map<String, DumpSummary.TopThread> top = c.views().topThreads(listing.captures());
        html(res, CapturesPage.html(listing, filter, top).getBytes(StandardCharsets.UTF_8));
    }

    /** {@code GET /captures/{node}/{id}} with {@code Accept: text/html}: the page; its script loads the data. */
    void capture(ServerRequest req, ServerResponse res) {
        if (HttpHandlers.readAllowed(c, req, res)) {
            html(res, capturePage);
        }
    }

    /** {@code GET /captures/{node}/{id}/summary}: the parsed dump as JSON, or {@code "state":"running"}. */
    void summary(ServerRequest req, ServerResponse res) {
        if (!HttpHandlers.readAllowed(c, req, res)) {
            return;
        }
        try {
            HttpHandlers.json(res, 200, c.views().summary(req.path().pathParameters().get("node"), req.path().pathParameters().get("id")));
        } catch (HookException e) {
            HttpHandlers.error(res, e);
        } catch (AgentClient.AgentUnreachableException e) {
            HttpHandlers.json(res, 502, Map.of("error", e.getMessage()));
        }
    }

    /** {@code GET /captures/{node}/{id}/profile}: the agent's collapsed stacks, passed through. */
    void profile(ServerRequest req, ServerResponse res) {
        if (!HttpHandlers.readAllowed(c, req, res)) {
            return;
        }
        HttpHandlers.relay(req, res, c.captures(), Captures.Text.PROFILE);
    }

    private static String param(ServerRequest req, String name) {
        Optional<String> v = req.query().first(name).map(String::strip).filter(s -> !s.isEmpty());
        return v.orElse(null);
    }

    private static void html(ServerResponse res, byte[] page) {
        res.status(200);
        res.header(HeaderNames.CONTENT_TYPE, "text/html; charset=utf-8");
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send(page);
    }
}
