package dev.jdd.agent.docker;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Fires requests at the agent in a burst: all are submitted at once to {@code concurrency} client threads that
 * wait on one start signal. Records each request's latency and outcome.
 */
public final class Storm {
    private Storm() {
    }

    /** What a burst gave: latencies in nanoseconds (sorted), outcome counts, captures accepted (ids). */
    public record Result(long[] latencies, Map<String, Integer> outcomes, List<String> accepted, List<String> errors,
                         Map<String, long[]> latenciesByOutcome) {
        public long percentile(double p) {
            return Storm.percentile(latencies, p);
        }

        public int total() {
            return outcomes.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    /** One request; returns its outcome (or {@code http-<status>}) and the capture id when accepted. */
    public interface Request {
        String[] send(int index) throws Exception;
    }

    public static Result burst(int requests, int concurrency, Request request) throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Object[]>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < requests; i++) {
                int index = i;
                Callable<Object[]> task = () -> {
                    go.await();
                    long start = System.nanoTime();
                    try {
                        String[] answer = request.send(index);
                        return new Object[] {System.nanoTime() - start, answer[0], answer[1]};
                    } catch (Exception e) {
                        return new Object[] {System.nanoTime() - start, "client-error", e.toString()};
                    }
                };
                futures.add(pool.submit(task));
            }
            go.countDown();
            long[] latencies = new long[requests];
            Map<String, Integer> outcomes = new TreeMap<>();
            Map<String, List<Long>> byOutcome = new TreeMap<>();
            List<String> accepted = new ArrayList<>();
            List<String> errors = new ArrayList<>();
            for (int i = 0; i < futures.size(); i++) {
                Object[] r;
                try {
                    r = futures.get(i).get();
                } catch (java.util.concurrent.ExecutionException e) {
                    r = new Object[] {0L, "client-error", e.getCause().toString()};
                }
                latencies[i] = (Long) r[0];
                String outcome = (String) r[1];
                outcomes.merge(outcome, 1, Integer::sum);
                byOutcome.computeIfAbsent(outcome, k -> new ArrayList<>()).add((Long) r[0]);
                if ("accepted".equals(outcome)) {
                    accepted.add((String) r[2]);
                } else if ("client-error".equals(outcome) || outcome.startsWith("http-")) {
                    errors.add(outcome + ": " + r[2]);
                }
            }
            Arrays.sort(latencies);
            Map<String, long[]> sortedByOutcome = new TreeMap<>();
            byOutcome.forEach((k, v) -> sortedByOutcome.put(k, v.stream().mapToLong(Long::longValue).sorted().toArray()));
            return new Result(latencies, outcomes, accepted, errors, sortedByOutcome);
        } finally {
            pool.shutdownNow();
        }
    }

    public static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /** Milliseconds with two decimals. */
    public static String ms(long nanos) {
        return String.format("%.2f ms", nanos / 1e6);
    }
}
