package dev.jdd.common;

import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/** A Prometheus histogram of durations in seconds, rendered by hand as text format 0.0.4 (agent and router). */
public final class Histogram {
    private final String name;
    private final String help;
    private final double[] bucketSeconds;
    private final LongAdder[] buckets;
    private final LongAdder count = new LongAdder();
    private final LongAdder sumNanos = new LongAdder();

    /** @param bucketSeconds the upper bounds, ascending; {@code +Inf} is added */
    public Histogram(String name, String help, double... bucketSeconds) {
        this.name = name;
        this.help = help;
        this.bucketSeconds = bucketSeconds.clone();
        this.buckets = new LongAdder[bucketSeconds.length];
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = new LongAdder();
        }
    }

    public void observe(Duration took) {
        long nanos = took.toNanos();
        double seconds = nanos / 1e9;
        for (int i = 0; i < bucketSeconds.length; i++) {
            if (seconds <= bucketSeconds[i]) {
                buckets[i].increment();
            }
        }
        count.increment();
        sumNanos.add(nanos);
    }

    /** Appends the HELP and TYPE lines, the cumulative buckets, the sum and the count. */
    public void render(StringBuilder out) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(" histogram\n");
        for (int i = 0; i < bucketSeconds.length; i++) {
            out.append(name).append("_bucket{le=\"").append(bucketSeconds[i]).append("\"} ").append(buckets[i].sum())
                    .append('\n');
        }
        long n = count.sum();
        out.append(name).append("_bucket{le=\"+Inf\"} ").append(n).append('\n');
        out.append(name).append("_sum ").append(sumNanos.sum() / 1e9).append('\n');
        out.append(name).append("_count ").append(n).append('\n');
    }
}
