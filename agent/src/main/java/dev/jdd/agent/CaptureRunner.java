package dev.jdd.agent;

import dev.jdd.agent.runtime.ContainerRuntime;
import dev.jdd.agent.runtime.CopyRefusedException;
import dev.jdd.agent.runtime.ExecResult;
import dev.jdd.agent.runtime.RuntimeUnavailableException;
import dev.jdd.agent.runtime.Target;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs one capture against the runtime: find the target, copy craw.sh into a fresh folder in it, exec the script
 * (or, when the target refuses files, feed it on stdin), always remove what was copied, and say how it ended. Only
 * the agent's own numbers reach the command line; alert text never does.
 */
final class CaptureRunner {
    private static final Logger LOG = Logger.getLogger(CaptureRunner.class.getName());
    private static final Pattern ENGINE = Pattern.compile("(?m)^# engine: ([A-Za-z0-9._-]{1,32})\\s*$");
    static final String SCRIPT = "craw.sh";

    private final ContainerRuntime runtime;
    private final byte[] script;
    private final int threads;
    private final Duration interval;
    private final Duration execTimeout;
    private final String node;
    private final Clock clock;

    CaptureRunner(ContainerRuntime runtime, byte[] script, AgentConfig config, Clock clock) {
        this.runtime = runtime;
        this.script = script.clone();
        this.threads = config.threads();
        this.interval = config.interval();
        this.execTimeout = config.execTimeout();
        this.node = config.node();
        this.clock = clock;
    }

    CaptureResult run(Capture capture) {
        String log = capture.log(node);
        Optional<Target> found;
        try {
            found = runtime.find(capture.namespace, capture.pod, capture.container);
        } catch (RuntimeUnavailableException e) {
            LOG.warning(log + "runtime " + runtime.name() + " unavailable: " + e.getMessage());
            return CaptureResult.without(CaptureResult.ERROR, null, runtime.name() + ": " + e.getMessage(), clock.instant());
        }
        if (found.isEmpty()) {
            LOG.info(log + "container is gone");
            return CaptureResult.without(CaptureResult.NOT_FOUND, null, "no running container " + capture.key() + " on this node",
                    clock.instant());
        }
        Target target = found.get();
        String folder = null;
        try {
            List<String> command;
            byte[] stdin = null;
            try {
                folder = runtime.copy(target, Map.of(SCRIPT, script));
                command = command(List.of("sh", folder + "/" + SCRIPT), target);
            } catch (CopyRefusedException e) {
                LOG.info(log + "target takes no files (" + e.getMessage() + "); feeding craw.sh on stdin");
                command = command(List.of("sh", "-s", "--"), target);
                stdin = script;
            }
            LOG.info(log + "running " + String.join(" ", command) + " in " + target.name());
            ExecResult exec = runtime.exec(target, command, stdin, execTimeout);
            return finished(capture, target, exec);
        } catch (InterruptedException e) {
            LOG.info(log + "interrupted: the agent is stopping");
            return CaptureResult.without(CaptureResult.INTERRUPTED, target.id(), "the agent stopped before the capture finished",
                    clock.instant());
        } catch (RuntimeUnavailableException e) {
            return lost(capture, target, e);
        } finally {
            if (folder != null) {
                // Removal must work even when shutdown interrupted us: clear the flag for it, then restore it.
                boolean interrupted = Thread.interrupted();
                runtime.remove(target, folder);
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private List<String> command(List<String> start, Target target) {
        List<String> command = new ArrayList<>(start);
        command.addAll(List.of("-n", Integer.toString(threads), "-i", Long.toString(interval.toMillis())));
        // The local runtime's "container" is a host process: the script is told which one. In a container the
        // script finds the JVM itself.
        if (runtime.name().equals("local")) {
            command.addAll(List.of("-p", Long.toString(target.hostPid())));
        }
        return command;
    }

    private CaptureResult finished(Capture capture, Target target, ExecResult exec) {
        String log = capture.log(node);
        String stdout = new String(exec.stdout(), StandardCharsets.UTF_8);
        Matcher m = ENGINE.matcher(stdout);
        String engine = m.find() ? m.group(1) : null;
        if (exec.timedOut()) {
            LOG.warning(log + "timed out after " + execTimeout.toMillis() + " ms; script ended");
            return new CaptureResult(CaptureResult.TIMED_OUT, target.id(), engine, null, clock.instant(), exec.stdout(),
                    exec.stderr(), "craw.sh did not finish within --exec-timeout=" + execTimeout.toMillis() + "ms and was ended");
        }
        if (exec.exitCode() != 0) {
            String why = "craw.sh exited with " + exec.exitCode() + describe(exec.exitCode());
            LOG.warning(log + why);
            return new CaptureResult(CaptureResult.FAILED, target.id(), engine, exec.exitCode(), clock.instant(),
                    exec.stdout(), exec.stderr(), why);
        }
        LOG.info(log + "ok, engine " + engine + ", " + exec.stdout().length + " bytes");
        return new CaptureResult(CaptureResult.OK, target.id(), engine, 0, clock.instant(), exec.stdout(), exec.stderr(), null);
    }

    /** The runtime failed mid-capture: not-found when the container went away meanwhile, else error. */
    private CaptureResult lost(Capture capture, Target target, RuntimeUnavailableException e) {
        String log = capture.log(node);
        boolean gone;
        try {
            gone = runtime.find(capture.namespace, capture.pod, capture.container).isEmpty();
        } catch (RuntimeUnavailableException again) {
            gone = false;
        }
        LOG.warning(log + (gone ? "container went away during the capture: " : "runtime error: ") + e.getMessage());
        return CaptureResult.without(gone ? CaptureResult.NOT_FOUND : CaptureResult.ERROR, target.id(),
                (gone ? "the container went away during the capture: " : runtime.name() + ": ") + e.getMessage(),
                clock.instant());
    }

    private static String describe(int exitCode) {
        return switch (exitCode) {
            case 2 -> " (bad usage)";
            case 3 -> " (no JVM found)";
            case 4 -> " (no tool that can dump threads)";
            case 5 -> " (the thread dump failed)";
            default -> "";
        };
    }
}
