import dev.jdd.testing.SlowClients;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * /health p99 latency and the server's RSS before, during and after 200 slow connections (slowloris) and one
 * never-ending chunked body, in one run against one server process. Run by bench/slow-clients.sh:
 *   java -cp common/target/test-classes bench/SlowClientsBench.java NAME PORT PID POST_PATH
 */
public final class SlowClientsBench {
    private static final int PROBES = 200;

    public static void main(String[] args) throws Exception {
        String name = args[0];
        int port = Integer.parseInt(args[1]);
        long pid = Long.parseLong(args[2]);
        String postPath = args[3];
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                .timeout(Duration.ofSeconds(30)).build();
        probe(http, health, 50); // warm-up
        double p99Before = probe(http, health, PROBES);
        long rssBefore = rss(pid);
        double p99During;
        long rssDuring;
        long start = System.nanoTime();
        try (SlowClients slow = SlowClients.start(port, 200, 1, postPath, Duration.ofSeconds(2))) {
            Thread.sleep(2000);
            rssDuring = rss(pid);
            p99During = probe(http, health, PROBES);
            rssDuring = Math.max(rssDuring, rss(pid));
            int left = slow.awaitClosed(Duration.ofSeconds(120));
            System.out.printf("%s: slow connections closed by the server after %.1f s (%d still open)%n", name,
                    (System.nanoTime() - start) / 1e9, left);
        }
        Thread.sleep(10_000); // the JVM trims its native heap every 2 s (image flags)
        double p99After = probe(http, health, PROBES);
        long rssAfter = rss(pid);
        System.out.printf("%s: /health p99 before %.2f ms, during %.2f ms (ratio %.2f, goal <= 5), after %.2f ms%n",
                name, p99Before, p99During, p99During / p99Before, p99After);
        System.out.printf("%s: RSS before %.1f MiB, during %.1f MiB, after %.1f MiB (after/before %.2f, goal <= 1.2)%n",
                name, rssBefore / 1048576.0, rssDuring / 1048576.0, rssAfter / 1048576.0, (double) rssAfter / rssBefore);
    }

    private static double probe(HttpClient http, HttpRequest health, int n) throws Exception {
        List<Long> nanos = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long t = System.nanoTime();
            int status = http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode();
            nanos.add(System.nanoTime() - t);
            if (status != 200) {
                throw new IllegalStateException("/health answered " + status);
            }
            Thread.sleep(10);
        }
        Collections.sort(nanos);
        return nanos.get((int) Math.ceil(n * 0.99) - 1) / 1e6;
    }

    private static long rss(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS for " + pid);
    }
}
