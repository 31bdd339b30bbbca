package dev.jdd.agent.node;

import dev.jdd.agent.runtime.ProcessTree;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Sends a signal with the shell's built-in {@code kill}: Java has no API to signal another process (FFM
 * could call kill(2), but it is final only from Java 22 and the build targets 21). The agent's image has a
 * shell anyway ({@code --runtime=local} runs craw.sh with it), and this runs at most once per target JVM:
 * the attach listener it starts stays up for the JVM's life. The pid travels as an argument, never as
 * shell text.
 */
final class ShellKill implements HotSpotAttach.Signaller {
    @Override
    public void send(long hostPid, int signal, Duration timeout) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of("sh", "-c", "kill -s \"$1\" \"$2\"", "jdd-kill",
                signalName(signal), Long.toString(hostPid)))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        p.getOutputStream().close();
        if (!p.waitFor(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS)) {
            ProcessTree.end(p, Duration.ZERO);
            throw new IOException("kill did not return in time");
        }
        if (p.exitValue() != 0) {
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            throw new IOException(err.isEmpty() ? "kill exited with " + p.exitValue() : err);
        }
    }

    private static String signalName(int signal) {
        return switch (signal) {
            case 3 -> "QUIT";
            case 9 -> "KILL";
            case 15 -> "TERM";
            default -> throw new IllegalArgumentException("unsupported signal " + signal);
        };
    }
}
