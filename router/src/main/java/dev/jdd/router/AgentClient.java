package dev.jdd.router;

import dev.jdd.common.Admission;
import dev.jdd.common.CaptureInfo;
import dev.jdd.common.CaptureRequest;
import dev.jdd.common.Json;
import dev.jdd.common.Outcome;

import io.helidon.common.uri.UriInfo;
import io.helidon.common.uri.UriPath;
import io.helidon.http.HeaderNames;
import io.helidon.webclient.api.ClientUri;
import io.helidon.webclient.api.HttpClientRequest;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * Calls one agent's HTTP API with the agents' token, connect and read timeouts. Anything that is not a well-formed
 * answer (a hang, a reset, garbage, a refused token) becomes {@link AgentUnreachableException} with a one-line detail.
 */
public final class AgentClient {
    private static final int MAX_ANSWER_BYTES = 64 * 1024;

    private static final int MAX_LIST_BYTES = 4 * 1024 * 1024;

    private final WebClient web;
    private final String token;

    public AgentClient(String token, Duration connectTimeout, Duration readTimeout) {
        this.token = token;
        this.web = WebClient.builder()
                .connectTimeout(connectTimeout)
                .readTimeout(readTimeout)
                .followRedirects(false)
                .connectionCacheSize(1024)
                .build();
    }

    /** Thrown when an agent gives no usable answer. */
    public static final class AgentUnreachableException extends Exception {
        public AgentUnreachableException(String detail) {
            super(detail, null, false, false);
        }
    }

    /** An agent's dump: HTTP status and the open body (closing it ends the call). */
    public record Dump(int statusCode, InputStream body) {
    }

    /**
     * {@code POST /v1/captures}: the agent's admission decision. One call per target, blocking on the caller's
     * virtual thread. With {@code dryRun}, {@code ?dryRun=true}: the agent checks everything a capture needs (token,
     * request, limits, the container on its node) and answers {@code dry-run} instead of accepting.
     */
    public Admission capture(URI agent, CaptureRequest request, boolean dryRun) throws AgentUnreachableException {
        Answer answer = exchange(authorized(web.post().uri(agent.resolve(dryRun ? "/v1/captures?dryRun=true" : "/v1/captures")))
                .header(HeaderNames.CONTENT_TYPE, "application/json"), Json.write(request), MAX_ANSWER_BYTES);
        Admission admission;
        try {
            admission = Json.read(answer.body, Admission.class);
        } catch (IllegalArgumentException e) {
            throw new AgentUnreachableException("agent answered " + answer.status + " with something that is not an admission: "
                    + e.getMessage());
        }
        if (admission.outcome() == null || admission.outcome() == Outcome.NO_AGENT
                || admission.outcome() == Outcome.AGENT_UNREACHABLE || admission.outcome() == Outcome.DRY_RUN && !dryRun) {
            throw new AgentUnreachableException("agent answered " + answer.status + " without a known outcome");
        }
        if (dryRun && admission.outcome() == Outcome.ACCEPTED) {
            throw new AgentUnreachableException("agent does not know dry runs (older than this router) and accepted capture "
                    + admission.captureId());
        }
        return admission;
    }

    /** {@code GET /v1/captures?namespace=&pod=&limit=}: accepts a JSON array or {@code {"captures":[...]}}. */
    public List<CaptureInfo> list(URI agent, String namespace, String pod, int limit) throws AgentUnreachableException {
        HttpClientRequest get = authorized(web.get().uri(agent.resolve("/v1/captures"))).queryParam("limit", Integer.toString(limit));
        if (namespace != null) {
            get.queryParam("namespace", namespace);
        }
        if (pod != null) {
            get.queryParam("pod", pod);
        }
        Answer answer = exchange(get, null, MAX_LIST_BYTES);
        if (answer.status != 200) {
            throw new AgentUnreachableException("agent answered " + answer.status + " to the capture list");
        }
        try {
            return CaptureInfo.readList(answer.body);
        } catch (IllegalArgumentException e) {
            throw new AgentUnreachableException("agent's capture list is not a list of captures: " + e.getMessage());
        }
    }

    /** {@code GET /v1/captures/{id}}: the status and the open body stream (the caller closes it). */
    public Dump dump(URI agent, String id) throws AgentUnreachableException {
        return text(agent, id, "");
    }

    /** {@code GET /v1/captures/{id}/profile}: the collapsed stacks of a capture's profile, as {@link #dump}. */
    public Dump profile(URI agent, String id) throws AgentUnreachableException {
        return text(agent, id, "/profile");
    }

    private Dump text(URI agent, String id, String suffix) throws AgentUnreachableException {
        HttpClientResponse res;
        try {
            // The id travels percent-encoded as it is (UriPath.create takes the raw path): a '/' or '?' in it stays data.
            UriPath path = UriPath.create("/v1/captures/" + Captures.urlPart(id) + suffix);
            res = authorized(web.get().uri(ClientUri.create(UriInfo.builder().scheme(agent.getScheme()).host(agent.getHost())
                    .port(agent.getPort()).path(path).build()))).request();
        } catch (UncheckedIOException e) {
            throw new AgentUnreachableException(describe(e.getCause()));
        } catch (RuntimeException e) {
            throw new AgentUnreachableException("agent answered something that is not HTTP: " + e.getMessage());
        }
        return new Dump(res.status().code(), new FilterInputStream(res.entity().inputStream()) {
            @Override
            public void close() throws IOException {
                try {
                    super.close();
                } finally {
                    res.close();
                }
            }
        });
    }

    private HttpClientRequest authorized(HttpClientRequest request) {
        if (token != null) {
            request.header(HeaderNames.AUTHORIZATION, "Bearer " + token);
        }
        return request;
    }

    private record Answer(int status, byte[] body) {
    }

    /** Sends the request ({@code body} null: none) and reads at most {@code maxBytes} of the answer. */
    private static Answer exchange(HttpClientRequest request, byte[] body, int maxBytes) throws AgentUnreachableException {
        try (HttpClientResponse res = body == null ? request.request() : request.submit(body)) {
            int status = res.status().code();
            if (status == 401 || status == 403) {
                throw new AgentUnreachableException("agent refused the router's token (" + status + "): check --token");
            }
            byte[] bytes = res.entity().inputStream().readNBytes(maxBytes + 1);
            if (bytes.length > maxBytes) {
                throw new AgentUnreachableException("agent answer is larger than " + maxBytes + " bytes");
            }
            return new Answer(status, bytes);
        } catch (IOException e) {
            throw new AgentUnreachableException(describe(e));
        } catch (UncheckedIOException e) {
            throw new AgentUnreachableException(describe(e.getCause()));
        } catch (RuntimeException e) {
            throw new AgentUnreachableException("agent answered something that is not HTTP: " + e.getMessage());
        }
    }

    private static String describe(IOException e) {
        if (e instanceof SocketTimeoutException) {
            return "agent did not answer in time (" + e.getMessage() + ")";
        }
        if (e instanceof ConnectException) {
            return "cannot connect to the agent" + (e.getMessage() == null ? "" : ": " + e.getMessage());
        }
        return "agent connection failed: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
