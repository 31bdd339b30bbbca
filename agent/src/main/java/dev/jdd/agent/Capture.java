package dev.jdd.agent;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One accepted capture while it waits or runs. Its fields are fixed at admission; {@link #worker} is set
 * when it starts running so that shutdown can interrupt it.
 */
final class Capture {
    final String id;
    final String namespace;
    final String pod;
    final String container;
    final String alertName;
    final String alertValue;
    final Instant accepted;
    private volatile Thread worker;
    private final AtomicBoolean recorded = new AtomicBoolean();

    Capture(String id, String namespace, String pod, String container, String alertName, String alertValue,
            Instant accepted) {
        this.id = id;
        this.namespace = namespace;
        this.pod = pod;
        this.container = container;
        this.alertName = alertName;
        this.alertValue = alertValue;
        this.accepted = accepted;
    }

    /** namespace/pod/container: what in-progress and cooldown are keyed by. */
    String key() {
        return key(namespace, pod, container);
    }

    static String key(String namespace, String pod, String container) {
        return namespace + "/" + pod + "/" + container;
    }

    /** The prefix of every log line about this capture. */
    String log(String node) {
        return "capture=" + id + " node=" + node + " target=" + key() + ": ";
    }

    boolean running() {
        return worker != null;
    }

    void runOn(Thread thread) {
        worker = thread;
    }

    Thread worker() {
        return worker;
    }

    /** True once, for whoever writes this capture's file: its runner, or shutdown when the runner cannot finish. */
    boolean claimRecord() {
        return recorded.compareAndSet(false, true);
    }
}
