package dev.jdd.router;

import dev.jdd.common.CaptureInfo;
import dev.jdd.common.Names;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What the captures pages need beyond {@link Captures}: the list's filters and each row's busiest thread (read from
 * the start of its dump, cached: a finished dump never changes), and one capture's summary (parsed dump, or
 * "running" while the agent still works on it).
 */
public final class CaptureViews implements AutoCloseable {
    /** Rows of one list page whose dumps are read for their busiest thread. */
    static final int TOP_THREAD_ROWS = 100;
    /** The header of a dump is short; the first ranked line comes within this many characters. */
    static final int TOP_THREAD_MAX_CHARS = 64 * 1024;
    /** Dump reads at once for one list page. */
    static final int TOP_THREAD_CONCURRENCY = 8;
    static final Duration TOP_THREAD_BUDGET = Duration.ofSeconds(3);
    private static final int CACHE_SIZE = 4096;
    /** craw.sh's output is capped by the agent well below this. */
    static final int MAX_DUMP_CHARS = 16 * 1024 * 1024;

    static final Set<String> OUTCOMES = Set.of("ok", "failed", "timed-out", "interrupted", "not-found", "error", "running");
    static final Map<String, Duration> SINCE = orderedSince();

    private final Captures captures;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, DumpSummary.TopThread> topThreads = Collections.synchronizedMap(
            new LinkedHashMap<>(256, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, DumpSummary.TopThread> eldest) {
                    return size() > CACHE_SIZE;
                }
            });

    public CaptureViews(Captures captures) {
        this.captures = captures;
    }

    private static Map<String, Duration> orderedSince() {
        Map<String, Duration> m = new LinkedHashMap<>();
        m.put("15m", Duration.ofMinutes(15));
        m.put("1h", Duration.ofHours(1));
        m.put("6h", Duration.ofHours(6));
        m.put("24h", Duration.ofHours(24));
        m.put("7d", Duration.ofDays(7));
        return Collections.unmodifiableMap(m);
    }

    /** The list page's filters beyond the agents' own (namespace, pod); null means "any". */
    public record Filter(String namespace, String pod, String node, String outcome, String since) {
        public Filter {
            if (node != null && !Names.isSubdomain(node)) {
                throw new HookException(400, "node is not a DNS-1123 subdomain");
            }
            if (outcome != null && !OUTCOMES.contains(outcome)) {
                throw new HookException(400, "outcome must be one of " + new java.util.TreeSet<>(OUTCOMES));
            }
            if (since != null && !SINCE.containsKey(since)) {
                throw new HookException(400, "since must be one of " + SINCE.keySet());
            }
        }

        boolean test(CaptureInfo c, Instant now) {
            if (node != null && !node.equals(c.node())) {
                return false;
            }
            if (outcome != null && !outcome.equals(c.outcome() == null ? "running" : c.outcome())) {
                return false;
            }
            if (since != null) {
                try {
                    return c.start() != null && !Instant.parse(c.start()).isBefore(now.minus(SINCE.get(since)));
                } catch (DateTimeParseException e) {
                    return false;
                }
            }
            return true;
        }
    }

    public Captures.Listing list(Filter filter, int limit, Instant now) throws InterruptedException {
        Captures.Listing all = captures.list(filter.namespace(), filter.pod(), limit);
        return new Captures.Listing(all.captures().stream().filter(c -> filter.test(c, now)).toList(), all.errors());
    }

    static String key(String node, String id) {
        return node + '/' + id;
    }

    /**
     * The busiest thread of each finished, successful capture among the first {@link #TOP_THREAD_ROWS} rows, by
     * {@link #key}. Dumps not read within {@link #TOP_THREAD_BUDGET} are left out (the row shows none).
     */
    public Map<String, DumpSummary.TopThread> topThreads(List<CaptureInfo> rows) throws InterruptedException {
        Map<String, DumpSummary.TopThread> out = new HashMap<>();
        Map<String, Future<Optional<DumpSummary.TopThread>>> pending = new LinkedHashMap<>();
        Semaphore permits = new Semaphore(TOP_THREAD_CONCURRENCY);
        for (CaptureInfo c : rows.subList(0, Math.min(rows.size(), TOP_THREAD_ROWS))) {
            if (!"ok".equals(c.outcome()) || c.node() == null || c.captureId() == null) {
                continue;
            }
            String key = key(c.node(), c.captureId());
            DumpSummary.TopThread cached = topThreads.get(key);
            if (cached != null) {
                out.put(key, cached);
            } else if (!pending.containsKey(key)) {
                pending.put(key, executor.submit(() -> {
                    permits.acquire();
                    try {
                        return readTopThread(c.node(), c.captureId());
                    } finally {
                        permits.release();
                    }
                }));
            }
        }
        long deadline = System.nanoTime() + TOP_THREAD_BUDGET.toNanos();
        for (Map.Entry<String, Future<Optional<DumpSummary.TopThread>>> e : pending.entrySet()) {
            try {
                Optional<DumpSummary.TopThread> top = e.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                top.ifPresent(t -> {
                    out.put(e.getKey(), t);
                    topThreads.put(e.getKey(), t);
                });
            } catch (TimeoutException | java.util.concurrent.ExecutionException ex) {
                e.getValue().cancel(true);
            }
        }
        return out;
    }

    private Optional<DumpSummary.TopThread> readTopThread(String node, String id) throws Exception {
        Optional<InputStream> dump = captures.text(node, id, Captures.Text.DUMP);
        if (dump.isEmpty()) {
            return Optional.empty();
        }
        try (InputStream in = dump.get()) {
            return DumpSummary.topThread(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), TOP_THREAD_MAX_CHARS);
        }
    }

    /** The capture page's data: {@code state} finished (with the parsed dump) or running; 404 when neither. */
    public Map<String, Object> summary(String node, String id) throws AgentClient.AgentUnreachableException {
        Optional<InputStream> dump = captures.text(node, id, Captures.Text.DUMP);
        if (dump.isEmpty()) {
            CaptureInfo running = captures.unfinished(node, id)
                    .orElseThrow(() -> new HookException(404, Captures.Text.DUMP.missing(node, id)));
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("state", "running");
            json.put("node", node);
            json.put("captureId", id);
            json.put("info", running);
            return json;
        }
        String text;
        try (InputStream in = dump.get()) {
            text = new String(in.readNBytes(MAX_DUMP_CHARS), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AgentClient.AgentUnreachableException("reading the dump failed: " + e.getMessage());
        }
        DumpSummary summary = DumpSummary.parse(text);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("state", "finished");
        json.put("node", node);
        json.put("captureId", id);
        json.put("header", summary.header());
        json.put("states", summary.states());
        List<Map<String, Object>> threads = new ArrayList<>(summary.threads().size());
        for (DumpSummary.RankedThread t : summary.threads()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("rank", t.rank());
            m.put("cpu", t.cpu());
            m.put("tid", t.tid());
            m.put("name", t.name());
            m.put("state", t.state());
            m.put("stack", t.stack());
            threads.add(m);
        }
        json.put("threads", threads);
        return json;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
