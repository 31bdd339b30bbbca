package dev.jdd.agent.node;

import dev.jdd.agent.runtime.ExecResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * {@code java dev.jdd.agent.node.CaptureOnce <host pid>}: one node-engine capture, as the agent would take it,
 * for tests that run the engine inside a container with chosen capabilities. Prints {@code exit=N}, then the
 * output and the diagnostics.
 */
public final class CaptureOnce {
    private CaptureOnce() {
    }

    public static void main(String[] args) throws InterruptedException {
        ExecResult r = NodeCapture.onThisNode().capture(Long.parseLong(args[0]), 5, Duration.ofMillis(500), false,
                Duration.ofSeconds(15));
        System.out.println("exit=" + r.exitCode());
        System.out.print(new String(r.stdout(), StandardCharsets.UTF_8));
        System.out.print(new String(r.stderr(), StandardCharsets.UTF_8));
    }
}
