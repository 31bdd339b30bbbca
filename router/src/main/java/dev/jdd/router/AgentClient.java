package dev.jdd.router;

import dev.jdd.common.Admission;
import dev.jdd.common.CaptureInfo;
import dev.jdd.common.CaptureRequest;
import dev.jdd.common.Json;
import dev.jdd.common.Outcome;

import io.helidon.http.HeaderNames;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;

/**
 * Calls one agent's HTTP API with the agents' token, connect and read timeouts. Anything that is not a well-formed
 * answer (a hang, a reset, garbage, a refused token) becomes {@link AgentUnreachableException} with a one-line detail.
 */
public final class AgentClient {
    private static final int MAX_ANSWER_BYTES = 64 * 1024;

    private final HttpClient http;
    private final WebClient web;
    private final String token;
    private final Duration readTimeout;

    public AgentClient(String token, Duration connectTimeout, Duration readTimeout) {
        this.token = token;
        this.readTimeout = readTimeout;
        this.http = HttpClient.newBuilder()
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
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

    /**
     * {@code POST /v1/captures}: the agent's admission decision. This hot path (one call per target) uses Helidon's
     * blocking WebClient on the caller's virtual thread: it costs far less CPU per call than the JDK client's
     * asynchronous machinery, which shows in a 500-target fan-out.
     */
    public Admission capture(URI agent, CaptureRequest request) throws AgentUnreachableException {
        Answer answer;
        try (HttpClientResponse res = web.post().uri(agent.resolve("/v1/captures"))
                .header(HeaderNames.CONTENT_TYPE, "application/json")
                .headers(h -> {
                    if (token != null) {
                        h.set(HeaderNames.AUTHORIZATION, "Bearer " + token);
                    }
                })
                .submit(Json.write(request))) {
            int status = res.status().code();
            if (status == 401 || status == 403) {
                throw new AgentUnreachableException("agent refused the router's token (" + status + "): check --token");
            }
            byte[] body = res.entity().inputStream().readNBytes(MAX_ANSWER_BYTES + 1);
            if (body.length > MAX_ANSWER_BYTES) {
                throw new AgentUnreachableException("agent answer is larger than " + MAX_ANSWER_BYTES + " bytes");
            }
            answer = new Answer(status, body);
        } catch (IOException | UncheckedIOException e) {
            throw new AgentUnreachableException(describe(e instanceof UncheckedIOException u ? u.getCause() : (IOException) e));
        } catch (RuntimeException e) {
            throw new AgentUnreachableException("agent answered something that is not HTTP: " + e.getMessage());
        }
        Admission admission;
        try {
            admission = Json.read(answer.body, Admission.class);
        } catch (IllegalArgumentException e) {
            throw new AgentUnreachableException("agent answered " + answer.status + " with something that is not an admission: "
                    + e.getMessage());
        }
        if (admission.outcome() == null || admission.outcome() == Outcome.NO_AGENT
                || admission.outcome() == Outcome.AGENT_UNREACHABLE || admission.outcome() == Outcome.DRY_RUN) {
            throw new AgentUnreachableException("agent answered " + answer.status + " without a known outcome");
        }
        return admission;
    }

    /** {@code GET /v1/captures?namespace=&pod=&limit=}: accepts a JSON array or {@code {"captures":[...]}}. */
    public List<CaptureInfo> list(URI agent, String namespace, String pod, int limit)
            throws AgentUnreachableException, InterruptedException {
        StringBuilder q = new StringBuilder("/v1/captures?limit=").append(limit);
        if (namespace != null) {
            q.append("&namespace=").append(URLEncoder.encode(namespace, StandardCharsets.UTF_8));
        }
        if (pod != null) {
            q.append("&pod=").append(URLEncoder.encode(pod, StandardCharsets.UTF_8));
        }
        Answer answer = send(request(agent.resolve(q.toString())).GET().build(), 4 * 1024 * 1024);
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
    public HttpResponse<InputStream> dump(URI agent, String id) throws AgentUnreachableException, InterruptedException {
        URI uri = agent.resolve("/v1/captures/" + URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20"));
        try {
            return http.send(request(uri).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new AgentUnreachableException(describe(e));
        }
    }

    private HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(readTimeout);
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private record Answer(int status, byte[] body) {
    }

    private Answer send(HttpRequest req, int maxBytes) throws AgentUnreachableException, InterruptedException {
        HttpResponse<byte[]> res;
        try {
            res = http.send(req, info -> new CappedBody(maxBytes));
        } catch (IOException e) {
            if (e.getCause() instanceof TooLarge) {
                throw new AgentUnreachableException("agent answer is larger than " + maxBytes + " bytes");
            }
            throw new AgentUnreachableException(describe(e));
        }
        if (res.statusCode() == 401 || res.statusCode() == 403) {
            throw new AgentUnreachableException("agent refused the router's token (" + res.statusCode() + "): check --token");
        }
        return new Answer(res.statusCode(), res.body());
    }

    private static final class TooLarge extends IOException {
        TooLarge() {
            super("answer too large", null);
        }
    }

    /** Collects the answer in memory, but never more than {@code max} bytes: a flooding agent is cut off. */
    private static final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final int max;
        private final java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
        private final java.util.concurrent.CompletableFuture<byte[]> result = new java.util.concurrent.CompletableFuture<>();
        private java.util.concurrent.Flow.Subscription subscription;

        CappedBody(int max) {
            this.max = max;
        }

        @Override
        public java.util.concurrent.CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(java.util.concurrent.Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<java.nio.ByteBuffer> items) {
            for (java.nio.ByteBuffer b : items) {
                if (buffer.size() + b.remaining() > max) {
                    subscription.cancel();
                    result.completeExceptionally(new TooLarge());
                    return;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                buffer.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(buffer.toByteArray());
        }
    }

    private static String describe(IOException e) {
        if (e instanceof HttpTimeoutException || e instanceof java.net.SocketTimeoutException) {
            return "agent did not answer in time (" + e.getMessage() + ")";
        }
        if (e instanceof java.net.ConnectException) {
            return "cannot connect to the agent" + (e.getMessage() == null ? "" : ": " + e.getMessage());
        }
        return "agent connection failed: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
