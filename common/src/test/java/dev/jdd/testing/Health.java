package dev.jdd.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Waits for a jdd process on loopback (agent or router) to answer {@code GET /health} with 200. */
public final class Health {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private Health() {
    }

    /** Polls {@code http://127.0.0.1:port/health} every 50 ms for up to 30 s; {@code what} names the process in the error. */
    public static void await(int port, String what) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        throw new IOException(what + " on port " + port + " did not answer /health within 30 s");
    }
}
