package dev.jdd.agent;

import dev.jdd.agent.node.NodeCapture;
import dev.jdd.agent.node.NodeEngine;
import dev.jdd.agent.profile.JfrProfiler;
import dev.jdd.agent.profile.Profile;
import dev.jdd.agent.profile.ProfileJob;
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
 * Runs one capture against the runtime: find the target, then either the node engine captures it from the node's
 * /proc, or craw.sh runs in it: copied into a fresh folder (or, when the target refuses files, fed on stdin), run,
 * and what was copied always removed again. Says how it ended. Only the agent's own numbers reach the command line;
 * alert text never does.
 *
 * <p>{@code --engine=auto} (the default) takes the node engine wherever the node can reach the target's JVM: it
 * starts no process in a container that may be short of CPU, and needs no shell or JDK there; craw.sh where it
 * cannot (no hostPID or capabilities, a JVM that refuses attach from the node). {@code script} and {@code node}
 * take one of them only.
 *
 * <p>With {@code --profile=cpu} a JFR profile of the target's JVM is recorded from the node over the same interval,
 * in parallel ({@link JfrProfiler}); its result joins the capture's, and never fails it.
 */
final class CaptureRunner {
    private static final Logger LOG = Logger.getLogger(CaptureRunner.class.getName());
    /** The dump tool craw.sh names in its output (the header line keeps its contracted name). */
    private static final Pattern DUMP_TOOL = Pattern.compile("(?m)^# engine: ([A-Za-z0-9._-]{1,32})\\s*$");
    static final String SCRIPT = "craw.sh";
    /** craw.sh's exit code when its own time limit ({@code -t}) ran out. */
    static final int SCRIPT_OUT_OF_TIME = 6;

    private final ContainerRuntime runtime;
    private final byte[] script;
    private final int threads;
    private final Duration interval;
    private final Duration execTimeout;
    private final String node;
    private final Clock clock;
    private final String engine;
    private final NodeEngine nodeEngine;
    /** Null with {@code --profile=off}. */
    private final JfrProfiler profiler;
    private final LeftoverFolders leftovers;

    CaptureRunner(ContainerRuntime runtime, byte[] script, AgentConfig config, Clock clock) {
        this(runtime, script, config, clock, NodeCapture.onThisNode());
    }

    CaptureRunner(ContainerRuntime runtime, byte[] script, AgentConfig config, Clock clock, NodeEngine nodeEngine) {
        this(runtime, script, config, clock, nodeEngine, new LeftoverFolders(runtime));
    }

    /** @param leftovers where folders that could not be removed from a target go, to be removed later */
    CaptureRunner(ContainerRuntime runtime, byte[] script, AgentConfig config, Clock clock, NodeEngine nodeEngine,
                  LeftoverFolders leftovers) {
        this.leftovers = leftovers;
        this.profiler = config.profile().equals("cpu") ? JfrProfiler.onThisNode(config.interval()) : null;
        this.engine = config.engine();
        this.nodeEngine = nodeEngine;
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
        ProfileJob profile = profiler == null ? ProfileJob.done(Profile.off()) : profiler.start(target.hostPid(), capture.id, log);
        return capture(capture, target).withProfile(profile.await());
    }

    /** The thread sampling of a found target, by the script or the node engine. */
    private CaptureResult capture(Capture capture, Target target) {
        String log = capture.log(node);
        try {
            boolean auto = engine.equals("auto");
            String nodeCannot = auto ? nodeEngine.cannotCapture(target.hostPid()) : null;
            ExecResult exec;
            String what;
            if (engine.equals("node") || auto && nodeCannot == null) {
                LOG.info(log + "node engine on host pid " + target.hostPid());
                exec = nodeEngine.capture(target.hostPid(), threads, interval, false, execTimeout);
                what = "the node engine";
            } else {
                if (auto) {
                    LOG.info(log + "the node engine cannot capture it (" + nodeCannot + "); running craw.sh");
                }
                exec = runScript(capture, target);
                if (auto) {
                    exec = exec.withStderrFirst("jdd: the node engine cannot capture this container (" + nodeCannot
                            + "); craw.sh captured instead\n");
                }
                what = SCRIPT;
            }
            if (exec.exitCode() == 3 && gone(capture)) {
                // No JVM found because the target ended meanwhile: as when a runtime loses the container.
                LOG.info(log + "the target ended during the capture: " + lastLine(exec.stderr()));
                return new CaptureResult(CaptureResult.NOT_FOUND, target.id(), null, exec.exitCode(), clock.instant(),
                        exec.stdout(), exec.stderr(), "the target ended during the capture: " + lastLine(exec.stderr()));
            }
            return finished(capture, target, exec, what).withStdoutCut(exec.stdoutCut());
        } catch (InterruptedException e) {
            LOG.info(log + "interrupted: the agent is stopping");
            return CaptureResult.without(CaptureResult.INTERRUPTED, target.id(), "the agent stopped before the capture finished",
                    clock.instant());
        } catch (RuntimeUnavailableException e) {
            return lost(capture, target, e);
        }
    }

    /** craw.sh in the target: copied in (or fed on stdin), run, and what was copied removed again. */
    private ExecResult runScript(Capture capture, Target target) throws InterruptedException {
        String log = capture.log(node);
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
            return runtime.exec(target, command, stdin, execTimeout);
        } finally {
            if (folder != null) {
                // Removal must work even when shutdown interrupted us: clear the flag for it, then restore it.
                boolean interrupted = Thread.interrupted();
                if (!runtime.removeFolder(target, folder)) {
                    leftovers.add(capture, target, folder, log);
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private List<String> command(List<String> start, Target target) {
        List<String> command = new ArrayList<>(start);
        command.addAll(List.of("-n", Integer.toString(threads), "-i", Long.toString(interval.toMillis()),
                "-t", Long.toString(scriptLimitSeconds(execTimeout, interval))));
        runtime.scriptPid(target).ifPresent(pid -> command.addAll(List.of("-p", Long.toString(pid))));
        return command;
    }

    /**
     * craw.sh's own time limit ({@code -t}): 2 s inside {@code --exec-timeout}, so that the script gives up first,
     * ends its dump tool, removes its temporary files and says so, before the runtime has to end it. At least the
     * interval and 1 s, so that a tight {@code --exec-timeout} still lets the script sample.
     */
    static long scriptLimitSeconds(Duration execTimeout, Duration interval) {
        return Math.max((execTimeout.toMillis() - 2000) / 1000, (interval.toMillis() + 999) / 1000 + 1);
    }

    /** How {@code what} (craw.sh or the node engine) ended, as a result for the dump file. */
    private CaptureResult finished(Capture capture, Target target, ExecResult exec, String what) {
        String log = capture.log(node);
        String stdout = new String(exec.stdout(), StandardCharsets.UTF_8);
        Matcher m = DUMP_TOOL.matcher(stdout);
        String dumpTool = m.find() ? m.group(1) : what.equals(SCRIPT) ? null : NodeCapture.ENGINE;
        if (exec.timedOut()) {
            String why = what + " did not finish within --exec-timeout=" + execTimeout.toMillis() + "ms and "
                    + (exec.endFailure() == null ? "was ended"
                    : gone(capture) ? "its container is gone, and it with it"
                    : "could not be ended: " + exec.endFailure() + "; it may still run in the target");
            LOG.warning(log + why);
            return new CaptureResult(CaptureResult.TIMED_OUT, target.id(), dumpTool, null, clock.instant(), exec.stdout(),
                    exec.stderr(), why);
        }
        if (what.equals(SCRIPT) && exec.exitCode() == SCRIPT_OUT_OF_TIME) {
            String why = what + " gave up at its time limit of " + scriptLimitSeconds(execTimeout, interval) + " s (-t, from --exec-timeout="
                    + execTimeout.toMillis() + "ms): " + lastLine(exec.stderr());
            LOG.warning(log + why);
            return new CaptureResult(CaptureResult.TIMED_OUT, target.id(), dumpTool, exec.exitCode(), clock.instant(),
                    exec.stdout(), exec.stderr(), why);
        }
        if (exec.exitCode() != 0) {
            String why = what.equals(SCRIPT) ? what + " exited with " + exec.exitCode() + describe(exec.exitCode())
                    : what + " failed with exit code " + exec.exitCode() + describe(exec.exitCode()) + ": " + lastLine(exec.stderr());
            LOG.warning(log + why);
            return new CaptureResult(CaptureResult.FAILED, target.id(), dumpTool, exec.exitCode(), clock.instant(),
                    exec.stdout(), exec.stderr(), why);
        }
        LOG.info(log + "ok, dump tool " + dumpTool + ", " + exec.stdout().length + " bytes");
        return new CaptureResult(CaptureResult.OK, target.id(), dumpTool, 0, clock.instant(), exec.stdout(), exec.stderr(), null);
    }

    /** Whether the target is no longer running (false when the runtime cannot tell). */
    private boolean gone(Capture capture) {
        try {
            return runtime.find(capture.namespace, capture.pod, capture.container).isEmpty();
        } catch (RuntimeUnavailableException e) {
            return false;
        }
    }

    /** The runtime failed mid-capture: not-found when the container went away meanwhile, else error. */
    private CaptureResult lost(Capture capture, Target target, RuntimeUnavailableException e) {
        String log = capture.log(node);
        boolean gone = gone(capture);
        LOG.warning(log + (gone ? "container went away during the capture: " : "runtime error: ") + e.getMessage());
        return CaptureResult.without(gone ? CaptureResult.NOT_FOUND : CaptureResult.ERROR, target.id(),
                (gone ? "the container went away during the capture: " : runtime.name() + ": ") + e.getMessage(),
                clock.instant());
    }

    private static String lastLine(byte[] text) {
        List<String> lines = new String(text, StandardCharsets.UTF_8).strip().lines().toList();
        return lines.isEmpty() ? "no reason given" : lines.get(lines.size() - 1).replaceFirst("^jdd node engine: ", "");
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
