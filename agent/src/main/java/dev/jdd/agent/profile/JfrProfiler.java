package dev.jdd.agent.profile;

import dev.jdd.agent.node.AttachException;
import dev.jdd.agent.node.HotSpotAttach;
import dev.jdd.agent.node.NodeCapture;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Records a JFR CPU profile of a container's JVM from the node, over the same interval as the thread sampling, and
 * folds it into collapsed stacks. Nothing runs in the container and no shell is needed: the attach goes through
 * {@code /proc/PID/root} ({@link HotSpotAttach}), and the recording is written by the JVM itself into a fresh folder
 * that the agent makes in the container's {@code /tmp} and removes afterwards.
 *
 * <p>Steps: pick the JVM (the one that has used the most CPU, when a container has several); make
 * {@code /tmp/jdd-profile-<name>/} (root's, mode 0733: the JVM's user may create its file there, nobody may list it)
 * with a settings file that enables only the CPU sampler (JDK 25+: {@code jdk.CPUTimeSample}, one sample per 10 ms of
 * a thread's CPU time; older: {@code jdk.ExecutionSample} every 10 ms); {@code JFR.start} in memory
 * ({@code disk=false}: no repository files) with that folder's {@code recording.jfr} as its file; at the end of the
 * interval {@code JFR.stop}, which returns once the file is written; copy it out (never through a link), fold it,
 * remove the folder. The recording's own {@code duration} (interval + 10 s) stops it should the agent die
 * meanwhile; a folder such an agent leaves is removed by the next profile of that container once it is 10 minutes old.
 * Every step is bounded by the interval plus {@link #BOUND}; a profile that does not make it is reported as
 * unavailable and never holds up the capture.
 */
public final class JfrProfiler {
    private static final Logger LOG = Logger.getLogger(JfrProfiler.class.getName());
    /** How much longer than the interval a profile may take: starting JFR, stopping it, reading the file. */
    public static final Duration BOUND = Duration.ofSeconds(3);
    static final String FOLDER_PREFIX = "jdd-profile-";
    static final String RECORDING = "recording.jfr";
    static final String SETTINGS = "settings.jfc";
    /** The recording stops itself this long after the interval if the agent never stops it. */
    private static final Duration DEAD_MAN = Duration.ofSeconds(10);
    private static final Duration STALE = Duration.ofMinutes(10);
    private static final long MAX_RECORDING_BYTES = 64L << 20;
    /** A recording that started late still covers at least this much (when the bound leaves room for it). */
    private static final Duration MIN_RECORDING = Duration.ofSeconds(1);
    /** Kept free at the end of the bound for JFR.stop and reading the file. */
    private static final Duration STOP_RESERVE = Duration.ofSeconds(1);

    private final HotSpotAttach attach;
    private final NodeCapture jvms;
    private final Path proc;
    private final Duration interval;

    JfrProfiler(HotSpotAttach attach, NodeCapture jvms, Path proc, Duration interval) {
        this.attach = attach;
        this.jvms = jvms;
        this.proc = proc;
        this.interval = interval;
    }

    /** Profiles through this node's {@code /proc} for {@code interval}. */
    public static JfrProfiler onThisNode(Duration interval) {
        return new JfrProfiler(HotSpotAttach.onThisNode(), NodeCapture.onThisNode(), Path.of("/proc"), interval);
    }

    /**
     * Starts profiling the JVM of the container whose main process the node sees as {@code containerPid}, on a thread
     * of its own, and returns at once. {@code name} (a capture id) makes the folder and recording names unique;
     * {@code log} prefixes log lines.
     */
    public ProfileJob start(long containerPid, String name, String log) {
        long begin = System.nanoTime();
        long intervalEnd = begin + interval.toNanos();
        long deadline = intervalEnd + BOUND.toNanos();
        CompletableFuture<Profile> result = new CompletableFuture<>();
        Thread worker = Thread.ofPlatform().daemon().name("profile-" + name).start(() -> {
            Profile profile;
            try {
                profile = profile(containerPid, name, intervalEnd, deadline, log);
            } catch (InterruptedException e) {
                profile = Profile.unavailable("the agent stopped before the profile was read");
            } catch (RuntimeException | Error e) {
                LOG.log(Level.WARNING, log + "profile failed unexpectedly", e);
                profile = Profile.unavailable("internal error: " + e);
            }
            if (profile.present()) {
                LOG.info(log + "profile: " + profile.samples() + " samples");
            } else {
                LOG.info(log + "profile unavailable: " + profile.unavailable());
            }
            result.complete(profile);
        });
        return new ProfileJob(result, deadline, worker);
    }

    private Profile profile(long containerPid, String name, long intervalEnd, long deadline, String log)
            throws InterruptedException {
        long pid;
        try {
            pid = jvms.likelyBusiestJvm(containerPid);
        } catch (IOException e) {
            return Profile.unavailable("no JVM found: " + e.getMessage());
        }
        if (pid <= 0) {
            return Profile.unavailable("no JVM found in the container");
        }
        Path procPid = proc.resolve(Long.toString(pid));
        String flags = commandLine(procPid);
        if (flags.contains("-XX:-FlightRecorder")) {
            return Profile.unavailable("JFR disabled with -XX:-FlightRecorder");
        }
        if (flags.contains("-XX:+DisableAttachMechanism")) {
            return Profile.unavailable("attach disabled with -XX:+DisableAttachMechanism");
        }
        int feature = attach.javaFeature(pid);
        if (feature > 0 && feature < 8) {
            return Profile.unavailable("JDK too old: Java " + feature + " has no JFR");
        }
        Path tmp = procPid.resolve("root/tmp");
        if (!Files.isDirectory(tmp, LinkOption.NOFOLLOW_LINKS)) {
            return Profile.unavailable("no /tmp folder in the container");
        }
        if (!Files.isWritable(tmp)) {
            return Profile.unavailable("read-only /tmp");
        }
        removeStale(tmp);
        String folderName = FOLDER_PREFIX + name;
        Path folder = tmp.resolve(folderName);
        try {
            Files.createDirectory(folder);
        } catch (FileSystemException e) {
            return Profile.unavailable(e.getReason() != null && e.getReason().contains("Read-only")
                    ? "read-only /tmp" : "cannot make a folder in /tmp: " + describe(e));
        } catch (IOException e) {
            return Profile.unavailable("cannot make a folder in /tmp: " + describe(e));
        }
        String recordingName = "jdd-" + name;
        String inside = "/tmp/" + folderName + "/";
        boolean running = false;
        try {
            try {
                Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx-wx-wx"));
                Path settings = folder.resolve(SETTINGS);
                Files.write(settings, settings(feature >= 25), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                Files.setPosixFilePermissions(settings, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (IOException e) {
                return Profile.unavailable("cannot write the settings file into /tmp: " + describe(e));
            }
            long starting = System.nanoTime();
            long duration = TimeUnit.NANOSECONDS.toSeconds(intervalEnd - System.nanoTime() + DEAD_MAN.toNanos()) + 1;
            String started = attach.execute(pid, remaining(deadline - STOP_RESERVE.toNanos()), "jcmd",
                    "JFR.start name=" + recordingName + " settings=" + inside + SETTINGS + " disk=false duration="
                            + duration + "s filename=" + inside + RECORDING);
            if (!started.contains("Started recording")) {
                return Profile.unavailable(refusal("JFR.start", started));
            }
            running = true;
            LOG.info(log + "JFR started in JVM " + pid + " (Java " + feature + ") in "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - starting) + " ms");
            // A JFR that started late (its first start in a JVM loads it, slow on a busy node) still gets a
            // recording of some length, within the bound.
            long stopAt = Math.max(intervalEnd,
                    Math.min(System.nanoTime() + MIN_RECORDING.toNanos(), deadline - STOP_RESERVE.toNanos()));
            TimeUnit.NANOSECONDS.sleep(Math.max(0, stopAt - System.nanoTime()));
            String stopped = attach.execute(pid, remaining(deadline), "jcmd", "JFR.stop name=" + recordingName);
            if (!stopped.contains("Stopped recording")) {
                return Profile.unavailable(refusal("JFR.stop", stopped));
            }
            running = false;
            CollapsedStacks.Folded folded = fold(folder.resolve(RECORDING));
            return Profile.of(folded.bytes(), folded.samples(), folded.sampler());
        } catch (AttachException e) {
            return Profile.unavailable(attachFailure(e.getMessage()));
        } catch (IOException e) {
            return Profile.unavailable("cannot read the recording: " + describe(e));
        } finally {
            boolean interrupted = Thread.interrupted();
            if (running) {
                // Interrupted (the agent stops) or failed after the start: end the recording now, not at its duration.
                try {
                    attach.execute(pid, Duration.ofSeconds(1), "jcmd", "JFR.stop name=" + recordingName);
                } catch (AttachException | InterruptedException e) {
                    // It stops itself; its file then finds no folder to go to.
                }
            }
            removeFolder(folder);
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A .jfc that enables only the CPU sampler. */
    static byte[] settings(boolean cpuTime) {
        String event = cpuTime
                ? "  <event name=\"jdk.CPUTimeSample\">\n    <setting name=\"enabled\">true</setting>\n"
                        + "    <setting name=\"throttle\">10 ms</setting>\n    <setting name=\"stackTrace\">true</setting>\n"
                        + "  </event>\n"
                : "  <event name=\"jdk.ExecutionSample\">\n    <setting name=\"enabled\">true</setting>\n"
                        + "    <setting name=\"period\">10 ms</setting>\n  </event>\n";
        return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<configuration version=\"2.0\" label=\"jdd\" description=\"jdd: CPU samples only\" provider=\"jdd\">\n"
                + event + "</configuration>\n").getBytes(StandardCharsets.UTF_8);
    }

    /** Copies the recording out (never through a symbolic link, at most 64 MiB) and folds the copy. */
    private static CollapsedStacks.Folded fold(Path recording) throws IOException {
        Path copy = Files.createTempFile("jdd-profile-", ".jfr");
        try {
            try (SeekableByteChannel in = Files.newByteChannel(recording, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
                 InputStream from = Channels.newInputStream(in);
                 OutputStream to = Files.newOutputStream(copy)) {
                if (in.size() > MAX_RECORDING_BYTES) {
                    throw new IOException("the recording is larger than " + (MAX_RECORDING_BYTES >> 20) + " MiB");
                }
                from.transferTo(to);
            }
            return CollapsedStacks.fold(copy);
        } finally {
            Files.deleteIfExists(copy);
        }
    }

    private static void removeFolder(Path folder) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder)) {
            for (Path file : files) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            // Gone already, or unreadable: the folder's own removal below says so.
        }
        try {
            Files.deleteIfExists(folder);
        } catch (IOException e) {
            LOG.warning("cannot remove the profile folder " + folder + ": " + describe(e));
        }
    }

    /** Removes folders of profiles that an agent left (it died mid-profile), once they are old enough to be sure. */
    private static void removeStale(Path tmp) {
        Instant before = Instant.now().minus(STALE);
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(tmp, FOLDER_PREFIX + "*")) {
            for (Path folder : stale) {
                BasicFileAttributes attrs = Files.readAttributes(folder, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (attrs.isDirectory() && attrs.lastModifiedTime().compareTo(FileTime.from(before)) < 0) {
                    removeFolder(folder);
                }
            }
        } catch (IOException e) {
            // Best effort.
        }
    }

    private static String commandLine(Path procPid) {
        StringBuilder all = new StringBuilder();
        for (String file : new String[] {"cmdline", "environ"}) {
            try {
                all.append(new String(Files.readAllBytes(procPid.resolve(file)), StandardCharsets.ISO_8859_1)).append('\0');
            } catch (IOException e) {
                // Unreadable: the attach finds out.
            }
        }
        return all.toString();
    }

    /** A JFR command answered without doing it: JFR is off, missing (a JDK without it), or refused the options. */
    static String refusal(String command, String reply) {
        String text = reply.strip();
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.contains("flight recorder") && lower.contains("disabled") || lower.contains("-flightrecorder")) {
            return "JFR disabled with -XX:-FlightRecorder";
        }
        if (lower.contains("module jdk.jfr not found") || lower.contains("unknown diagnostic command")
                || lower.contains("not available")) {
            return "no JFR in this JVM: a runtime jlinked without jdk.jfr, or a JDK older than 8u262 (" + firstLine(text) + ")";
        }
        return command + " failed: " + firstLine(text);
    }

    private static String attachFailure(String message) {
        if (message.contains("DisableAttachMechanism")) {
            return "attach disabled with -XX:+DisableAttachMechanism";
        }
        if (message.contains("refused 'jcmd'")) {
            return refusal("JFR", message.substring(message.indexOf("refused 'jcmd'")));
        }
        return "attach failed: " + message;
    }

    private static String firstLine(String text) {
        String line = text.lines().filter(l -> !l.isBlank()).findFirst().orElse("no answer");
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }

    private static String describe(IOException e) {
        return e instanceof AccessDeniedException ? "permission denied: " + e.getMessage()
                : e.getMessage() == null ? e.toString() : e.getMessage();
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
    }
}
