package dev.jdd.agent;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Applies the dump store's retention every {@code period}, so that a dump past {@code --retention-age} goes also on a
 * node where no capture happens (writes apply it too).
 */
final class RetentionTimer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RetentionTimer.class.getName());
    /** How often an agent applies retention between writes. */
    static final Duration PERIOD = Duration.ofMinutes(1);

    private final ScheduledExecutorService timer;

    RetentionTimer(DumpStore store, Duration period) {
        timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("jdd-retention").daemon().factory());
        timer.scheduleWithFixedDelay(() -> {
            try {
                int removed = store.enforceRetention();
                if (removed > 0) {
                    LOG.info("retention removed " + removed + " dumps");
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "retention failed (tried again in " + period.toSeconds() + " s)", e);
            }
        }, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
