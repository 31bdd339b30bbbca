package dev.jdd.agent.docker;

import dev.jdd.agent.runtime.ContainerRuntime;
import dev.jdd.agent.runtime.CopyRefusedException;
import dev.jdd.agent.runtime.ExecResult;
import dev.jdd.agent.runtime.RuntimeUnavailableException;
import dev.jdd.agent.runtime.Target;
import dev.jdd.common.JsonValues;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * {@link ContainerRuntime} on the Docker Engine API over the node's socket ({@link EngineClient}).
 *
 * <p>Every command runs through a small {@code sh} wrapper that first prints its own PID. Docker starts each
 * exec as a new session (runc calls setsid), so that PID is the session id of everything the command starts;
 * on timeout or interrupt the runtime signals that session inside the container (TERM, a grace period, then
 * KILL) and checks until nothing of it is left. Docker has no API to kill an exec.
 */
public final class DockerRuntime implements ContainerRuntime {
    private static final Logger LOG = Logger.getLogger(DockerRuntime.class.getName());

    static final String LABEL_NAMESPACE = "io.kubernetes.pod.namespace";
    static final String LABEL_POD = "io.kubernetes.pod.name";
    static final String LABEL_CONTAINER = "io.kubernetes.container.name";
    static final String LABEL_TYPE = "io.kubernetes.docker.type";

    /** What one stream (stdout or stderr) of an exec may bring back; the rest is dropped. */
    static final int OUTPUT_CAP = 16 * 1024 * 1024;
    private static final String PID_LINE = "jdd-exec-pid ";
    private static final Duration GRACE = Duration.ofSeconds(1);
    /** Short calls (list, inspect, create, copy) get an answer in this time, so admission never hangs on a stuck engine. */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration HOUSEKEEPING_TIMEOUT = Duration.ofSeconds(10);
    private static final Pattern FOLDER = Pattern.compile("/(tmp/)?\\.jdd-[0-9a-f]{16}");
    /** Container and exec ids as the engine issues them; nothing else goes into a request path. */
    private static final Pattern ENGINE_ID = Pattern.compile("[0-9a-zA-Z_.-]{1,128}");
    private static final Pattern NUMERIC_USER = Pattern.compile("(\\d+)(?::(\\d+))?");
    private static final String LIST_PATH = "/containers/json?filters=" + URLEncoder.encode(
            "{\"status\":[\"running\"],\"label\":[\"" + LABEL_POD + "\"]}", StandardCharsets.UTF_8);

    /**
     * Prints its PID, then becomes the command (positional parameters, never parsed as shell text).
     * The command list is the agent's, fixed; no alert text reaches it.
     */
    private static final String WRAPPER = "echo \"" + PID_LINE + "$$\"; exec \"$@\"";

    /**
     * Sends signal {@code $2} to every live process of session {@code $1} in the container and prints their
     * PIDs; signal 0 only lists them. Reads {@code /proc/N/stat} with builtins: after the last ')' come
     * state, ppid, pgrp, session. Zombies run nothing and are skipped (a container's PID 1 may never reap them).
     */
    private static final String SESSION_KILLER = "s=$1; g=$2; "
            + "for f in /proc/[0-9]*/stat; do IFS= read -r l < \"$f\" 2>/dev/null || continue; "
            + "p=${l%% *}; r=${l##*) }; set -- $r; "
            + "if [ \"$4\" = \"$s\" ] && [ \"$1\" != Z ]; then kill -\"$g\" \"$p\" 2>/dev/null; echo \"$p\"; fi; done";

    private final URI host;
    private final EngineClient engine;
    private final SecureRandom random = new SecureRandom();
    private final Set<String> copied = ConcurrentHashMap.newKeySet();
    private final Map<List<String>, CompletableFuture<Optional<Target>>> finding = new ConcurrentHashMap<>();
    private final AtomicReference<CompletableFuture<List<PodContainer>>> listing = new AtomicReference<>();
    private final ExecutorService cleaner =
            Executors.newCachedThreadPool(Thread.ofPlatform().name("jdd-docker-cleanup").daemon().factory());

    /** A running container that kubelet labelled, as the container list shows it. */
    private record PodContainer(String id, Map<String, Object> labels, long created) {
        String label(String key) {
            return labels.get(key) instanceof String s ? s : null;
        }
    }

    /** What the runtime needs of {@code GET /containers/{id}/json}. */
    private record Inspected(String name, boolean running, long pid, Long exitCode, String user) {
    }

    /** @param dockerHost the engine's socket, e.g. {@code unix:///var/run/docker.sock}, or {@code tcp://host:port} */
    public DockerRuntime(URI dockerHost) {
        this.engine = new EngineClient(dockerHost);
        this.host = dockerHost;
        // In the background, so start-up does not wait: says early in the log whether the engine answers, and
        // runs the find path once so that the first alert storm does not pay for loading and compiling it.
        cleaner.execute(this::probe);
    }

    private void probe() {
        try {
            Map<String, Object> version = fields(get("asking the engine's version", "/version"));
            // A list and an inspect load what every find needs (in a cluster the agent's own container is listed).
            runningPodContainers().stream().findFirst().ifPresent(c -> inspect(c.id()));
            LOG.info(() -> "Docker engine " + version.get("Version") + " (API " + version.get("ApiVersion") + ") answers at " + host);
        } catch (RuntimeException e) {
            LOG.warning(() -> "Docker engine at " + host + " does not answer yet (captures will answer error until it does): "
                    + e.getMessage());
        }
    }

    @Override
    public String name() {
        return "docker";
    }

    /**
     * Concurrent finds of the same container share one pair of engine calls: in an alert storm hundreds of
     * requests name the same few containers, and each answer is still at most one round trip old.
     */
    @Override
    public Optional<Target> find(String namespace, String pod, String container) {
        List<String> key = List.of(namespace, pod, container);
        CompletableFuture<Optional<Target>> mine = new CompletableFuture<>();
        CompletableFuture<Optional<Target>> running = finding.putIfAbsent(key, mine);
        if (running == null) {
            try {
                mine.complete(findNow(namespace, pod, container));
            } catch (RuntimeException e) {
                mine.completeExceptionally(e);
            } finally {
                finding.remove(key, mine);
            }
            try {
                return mine.join();
            } catch (CompletionException e) {
                throw (RuntimeException) e.getCause();
            }
        }
        return shared(running);
    }

    /** The answer of an engine call that another thread is making for us. */
    private static <T> T shared(CompletableFuture<T> running) {
        try {
            return running.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new RuntimeUnavailableException(e.getCause().toString(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeUnavailableException("interrupted while asking the Docker engine", e);
        }
    }

    private Optional<Target> findNow(String namespace, String pod, String container) {
        // Kubelet's sandbox carries the container-name label POD; DNS-1123 names cannot spell it, but check anyway.
        Optional<PodContainer> newest = runningPodContainers().stream()
                .filter(c -> !"podsandbox".equals(c.label(LABEL_TYPE)) && !"POD".equals(c.label(LABEL_CONTAINER)))
                // Never trust the engine's filter alone: the labels must be exactly the names asked for.
                .filter(c -> namespace.equals(c.label(LABEL_NAMESPACE)) && pod.equals(c.label(LABEL_POD))
                        && container.equals(c.label(LABEL_CONTAINER)))
                .max(Comparator.comparingLong(PodContainer::created));
        if (newest.isEmpty()) {
            return Optional.empty();
        }
        String id = newest.get().id();
        return inspect(id).filter(Inspected::running).map(c -> new Target(id, readableName(c.name(), id), c.pid()));
    }

    /**
     * The running containers that kubelet labelled, one engine call shared by every find that comes while it is
     * under way: in a storm the first requests for 25 containers cost one list, not 25. Each find still sees a
     * list that started no earlier than its own arrival minus one round trip.
     */
    private List<PodContainer> runningPodContainers() {
        CompletableFuture<List<PodContainer>> mine = new CompletableFuture<>();
        CompletableFuture<List<PodContainer>> running = listing.compareAndExchange(null, mine);
        if (running == null) {
            try {
                String what = "listing containers";
                List<PodContainer> found = new ArrayList<>();
                for (Object item : get(what, LIST_PATH) instanceof List<?> items ? items : List.of()) {
                    if (item instanceof Map<?, ?> c && c.get("Id") instanceof String id && ENGINE_ID.matcher(id).matches()) {
                        found.add(new PodContainer(id, fields(c.get("Labels")), number(c.get("Created"))));
                    }
                }
                mine.complete(found);
            } catch (RuntimeException e) {
                mine.completeExceptionally(e);
            } finally {
                listing.compareAndSet(mine, null);
            }
            running = mine;
        }
        return shared(running);
    }

    /** The container's state, or empty when the engine does not know it. */
    private Optional<Inspected> inspect(String id) {
        String what = "inspecting container " + id;
        EngineClient.Answer answer = send(what, () -> engine.call("GET", "/containers/" + id + "/json", null, null, CALL_TIMEOUT));
        if (answer.status() == 404) {
            return Optional.empty();
        }
        Map<String, Object> container = fields(json(what, answer));
        Map<String, Object> state = fields(container.get("State"));
        Map<String, Object> config = fields(container.get("Config"));
        return Optional.of(new Inspected(container.get("Name") instanceof String n ? n : null,
                Boolean.TRUE.equals(state.get("Running")), number(state.get("Pid")), exitCode(state),
                config.get("User") instanceof String user ? user.strip() : ""));
    }

    @Override
    public String copy(Target target, Map<String, byte[]> files) {
        String folderName = ".jdd-" + HexFormat.of().formatHex(randomBytes(8));
        String user = inspect(target.id()).orElseThrow(() -> gone(target, "the engine no longer knows it")).user();
        Matcher numeric = NUMERIC_USER.matcher(user);
        // The script's own user owns its folder, so it can write there and remove it. Numeric users go into the
        // tar headers; for a user name the engine resolves it (copyUIDGID), else the files stay root's, still 0755.
        boolean byName = !user.isEmpty() && !numeric.matches();
        byte[] tar = numeric.matches()
                ? tar(folderName, files, Integer.parseInt(numeric.group(1)), numeric.group(2) == null ? 0 : Integer.parseInt(numeric.group(2)))
                : tar(folderName, files, 0, 0);
        for (String parent : List.of("/tmp", "/")) {
            EngineClient.Answer answer = upload(target, parent, tar, byName);
            if (!answer.ok()) {
                if (containerGone(answer)) {
                    throw gone(target, answer.message());
                }
                if (answer.status() == 404 && parent.equals("/tmp")) {
                    continue; // this image has no /tmp: use the root folder
                }
                throw new CopyRefusedException("container " + target.name() + " refused the files in " + parent + ": "
                        + answer.message(), null);
            }
            String folder = (parent.equals("/") ? "" : parent) + "/" + folderName;
            copied.add(target.id() + folder);
            return folder;
        }
        throw new IllegalStateException("unreachable: the root folder always exists");
    }

    private EngineClient.Answer upload(Target target, String parent, byte[] tar, boolean copyUidGid) {
        String what = "copying into container " + target.name();
        String path = "/containers/" + target.id() + "/archive?path=" + URLEncoder.encode(parent, StandardCharsets.UTF_8);
        if (copyUidGid) {
            EngineClient.Answer answer = send(what, () -> engine.call("PUT", path + "&copyUIDGID=true", "application/x-tar", tar, CALL_TIMEOUT));
            if (answer.ok() || answer.status() == 404 || answer.message().contains("read-only")) {
                return answer;
            }
            LOG.fine(() -> "the engine could not resolve the user of " + target.name() + ": " + answer.message());
        }
        return send(what, () -> engine.call("PUT", path, "application/x-tar", tar, CALL_TIMEOUT));
    }

    @Override
    public ExecResult exec(Target target, List<String> command, byte[] stdin, Duration timeout) throws InterruptedException {
        return run(target, null, command, stdin, timeout);
    }

    @Override
    public void remove(Target target, String folder) {
        if (!FOLDER.matcher(folder).matches() || !copied.remove(target.id() + folder)) {
            LOG.warning(() -> "not removing " + folder + " from " + target.name() + ": this runtime did not copy it");
            return;
        }
        // Also when the caller is interrupted (the agent stopping): the folder must not stay behind.
        housekeeping(() -> {
            ExecResult r = run(target, "0", List.of("rm", "-rf", "--", folder), null, HOUSEKEEPING_TIMEOUT);
            if (r.exitCode() != 0) {
                LOG.warning(() -> "removing " + folder + " from " + target.name() + " failed (exit " + r.exitCode() + "): "
                        + new String(r.stderr(), StandardCharsets.UTF_8).strip());
            }
            return null;
        }, "removing " + folder + " from " + target.name());
    }

    /**
     * Runs cleanup on a thread of its own and waits for it whatever the caller's interrupt status: an interrupted
     * thread would have its socket closed under it by the JDK. The caller's interrupt flag is kept.
     */
    private void housekeeping(Callable<Void> work, String what) {
        boolean interrupted = Thread.interrupted();
        Future<Void> done;
        try {
            done = cleaner.submit(work);
        } catch (RejectedExecutionException closed) {
            FutureTask<Void> inline = new FutureTask<>(work); // after close(): run it here, the flag is cleared
            inline.run();
            done = inline;
        }
        while (true) {
            try {
                done.get();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                // The container or the engine went away: then what ran in it is gone with it.
                LOG.warning(() -> what + " failed: " + cause.getMessage());
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        cleaner.shutdown();
    }

    private ExecResult run(Target target, String user, List<String> command, byte[] stdin, Duration timeout)
            throws InterruptedException {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        List<String> wrapped = new ArrayList<>(List.of("sh", "-c", WRAPPER, "jdd-exec"));
        wrapped.addAll(command);
        Map<String, Object> create = new LinkedHashMap<>();
        create.put("AttachStdin", stdin != null);
        create.put("AttachStdout", true);
        create.put("AttachStderr", true);
        create.put("Tty", false);
        create.put("Cmd", wrapped);
        if (user != null) {
            create.put("User", user);
        }
        String what = "creating an exec in " + target.name();
        EngineClient.Answer created = send(what, () -> engine.call("POST", "/containers/" + target.id() + "/exec",
                "application/json", JsonValues.write(create), CALL_TIMEOUT));
        if (containerGone(created) || created.status() == 409) {
            throw gone(target, created.message());
        }
        String execId = fields(json(what, created)).get("Id") instanceof String id && ENGINE_ID.matcher(id).matches() ? id : null;
        if (execId == null) {
            throw unavailable(what, "answered without an exec id");
        }

        EngineClient.Connection stream;
        try {
            stream = engine.upgrade("/exec/" + execId + "/start", JsonValues.write(Map.of("Detach", false, "Tty", false)), CALL_TIMEOUT);
        } catch (EngineClient.Refused e) {
            if (containerGone(e.answer) || e.answer.status() == 409) {
                throw gone(target, e.answer.message());
            }
            throw unavailable("starting an exec in " + target.name(), "answered " + e.answer.status() + ": " + e.answer.message());
        } catch (IOException e) {
            throw unavailable("starting an exec in " + target.name(), describe(e));
        }
        Output output = new Output(OUTPUT_CAP);
        Thread.ofVirtual().name("jdd-exec-output").start(() -> output.read(stream.stream()));
        if (stdin != null) {
            Thread.ofVirtual().name("jdd-exec-input").start(() -> feed(stream, stdin));
        }

        boolean finished;
        try {
            finished = output.awaitEnd(timeout);
        } catch (InterruptedException e) {
            endSession(target, output, stream);
            Thread.interrupted(); // reported by the exception
            throw e;
        }
        if (!finished) {
            endSession(target, output, stream);
            return new ExecResult(-1, output.stdout(), output.stderr(), true);
        }
        stream.close();
        if (output.failure() != null) {
            throw lost(target, describe(output.failure()));
        }

        Long exitCode;
        try {
            String inspecting = "inspecting an exec in " + target.name();
            exitCode = exitCode(fields(get(inspecting, "/exec/" + execId + "/json")));
        } catch (RuntimeUnavailableException e) {
            throw lost(target, e.getMessage());
        }
        if (exitCode == null || exitCode >= 128) {
            // Ended by a signal: maybe the container stopped under it. The engine records that a moment after
            // the exec's stream ends, so look a few times before believing the container still runs.
            for (int i = 0; i < 10; i++) {
                requireRunning(target);
                Thread.sleep(100);
            }
        }
        requireRunning(target);
        int code = exitCode == null ? -1 : exitCode.intValue();
        byte[] stderr = output.stderr();
        if ((code == 126 || code == 127) && !output.wrapperRan()) {
            // The engine says nothing else when the container has no usable shell: say it here, for the dump.
            stderr = concat(("jdd: the container has no usable sh (exec exited " + code + " before anything ran)\n")
                    .getBytes(StandardCharsets.UTF_8), stderr);
        }
        return new ExecResult(code, output.stdout(), stderr, false);
    }

    /** Writes the exec's stdin, then ends it, so a command that reads to the end (sh -s) finishes. */
    private static void feed(EngineClient.Connection stream, byte[] stdin) {
        try {
            stream.write(stdin);
            stream.endInput();
        } catch (IOException e) {
            // The command ended without reading all of it, or the stream was closed: its output tells the rest.
            LOG.fine(() -> "writing an exec's stdin: " + e);
        }
    }

    /**
     * Ends every process of the exec's session inside the container: TERM, up to {@link #GRACE} for them to go,
     * then KILL, and checks that none is left.
     */
    private void endSession(Target target, Output output, EngineClient.Connection stream) {
        housekeeping(() -> {
            try {
                long session = output.awaitPid(Duration.ofSeconds(5));
                if (session <= 0) {
                    LOG.warning(() -> "exec in " + target.name() + " never reported its PID; cannot end its processes");
                    return null;
                }
                List<String> left = signalSession(target, session, "TERM");
                long graceEnd = System.nanoTime() + GRACE.toNanos();
                while (!left.isEmpty() && System.nanoTime() < graceEnd) {
                    Thread.sleep(100);
                    left = signalSession(target, session, "0");
                }
                for (int round = 0; !left.isEmpty() && round < 20; round++) {
                    signalSession(target, session, "KILL");
                    Thread.sleep(100);
                    left = signalSession(target, session, "0");
                }
                if (!left.isEmpty()) {
                    List<String> survivors = left;
                    LOG.severe(() -> "processes " + survivors + " of an exec in " + target.name() + " survived KILL");
                }
                return null;
            } finally {
                stream.close();
            }
        }, "ending an exec in " + target.name());
    }

    /** Signals the session's live processes (as root in the container) and returns their PIDs. */
    private List<String> signalSession(Target target, long session, String signal) throws InterruptedException {
        ExecResult r = run(target, "0", List.of("sh", "-c", SESSION_KILLER, "jdd-kill", Long.toString(session), signal),
                null, HOUSEKEEPING_TIMEOUT);
        if (r.timedOut()) {
            throw new RuntimeUnavailableException("listing the processes of an exec in " + target.name() + " timed out");
        }
        return Arrays.stream(new String(r.stdout(), StandardCharsets.US_ASCII).split("\\s+")).filter(s -> !s.isEmpty()).toList();
    }

    private void requireRunning(Target target) {
        Inspected container = inspect(target.id()).orElseThrow(() -> gone(target, "the engine no longer knows it"));
        if (!container.running()) {
            throw new RuntimeUnavailableException("container " + target.name() + " stopped during the exec"
                    + (container.exitCode() == null ? "" : " (exit code " + container.exitCode() + ")"));
        }
    }

    /** The exec's stream broke: the container stopped, or the engine went away. */
    private RuntimeUnavailableException lost(Target target, String reason) {
        try {
            requireRunning(target);
        } catch (RuntimeUnavailableException stopped) {
            return stopped;
        }
        return unavailable("running an exec in " + target.name(), reason);
    }

    /** A short call; failing to reach the engine at all is {@link RuntimeUnavailableException}. */
    private EngineClient.Answer send(String what, IoCall call) {
        try {
            return call.run();
        } catch (IOException e) {
            throw unavailable(what, describe(e));
        }
    }

    @FunctionalInterface
    private interface IoCall {
        EngineClient.Answer run() throws IOException;
    }

    /** {@code GET path}: the engine's JSON answer. */
    private Object get(String what, String path) {
        return json(what, send(what, () -> engine.call("GET", path, null, null, CALL_TIMEOUT)));
    }

    /** The answer's JSON when the engine said yes; otherwise its own words, as {@link RuntimeUnavailableException}. */
    private Object json(String what, EngineClient.Answer answer) {
        if (!answer.ok()) {
            throw unavailable(what, "answered " + answer.status() + ": " + answer.message());
        }
        try {
            return JsonValues.read(answer.body());
        } catch (IllegalArgumentException e) {
            throw unavailable(what, "answered something that is not JSON: " + e.getMessage());
        }
    }

    /** An object's fields; anything else (absent, null) has none. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> fields(Object value) {
        return value instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
    }

    private static long number(Object value) {
        return value instanceof Number n ? n.longValue() : 0;
    }

    /** A container's or an exec's {@code ExitCode}; null while the engine has none. */
    private static Long exitCode(Map<String, Object> fields) {
        return fields.get("ExitCode") instanceof Number n ? n.longValue() : null;
    }

    private static RuntimeUnavailableException gone(Target target, String reason) {
        return new RuntimeUnavailableException("container " + target.name() + " is gone or not running: " + reason);
    }

    private RuntimeUnavailableException unavailable(String what, String reason) {
        return new RuntimeUnavailableException("Docker engine at " + host + ": " + what + " failed: " + reason);
    }

    private static boolean containerGone(EngineClient.Answer answer) {
        return answer.status() == 404 && answer.message().contains("No such container");
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
    }

    private static String readableName(String name, String id) {
        if (name == null || name.isBlank()) {
            return id.substring(0, Math.min(12, id.length()));
        }
        return name.startsWith("/") ? name.substring(1) : name;
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    /** A tar holding {@code folder/} and the files in it, all mode 0755, owned by uid:gid. */
    static byte[] tar(String folder, Map<String, byte[]> files, int uid, int gid) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            TarArchiveEntry dir = new TarArchiveEntry(folder + "/");
            dir.setMode(040755);
            dir.setIds(uid, gid);
            tar.putArchiveEntry(dir);
            tar.closeArchiveEntry();
            for (Map.Entry<String, byte[]> file : new LinkedHashMap<>(files).entrySet()) {
                String name = file.getKey();
                if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
                    throw new IllegalArgumentException("bad file name for a copy: " + name);
                }
                TarArchiveEntry entry = new TarArchiveEntry(folder + "/" + name);
                entry.setMode(0100755);
                entry.setIds(uid, gid);
                entry.setSize(file.getValue().length);
                tar.putArchiveEntry(entry);
                tar.write(file.getValue());
                tar.closeArchiveEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    /**
     * Reads an exec's multiplexed stream (no tty: frames of an 8-byte header, stream type then big-endian size,
     * and the payload) and collects stdout and stderr apart, each capped; takes the wrapper's PID line off stdout.
     */
    static final class Output {
        private static final int STDOUT = 1;
        private static final int STDERR = 2;
        private final int cap;
        private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        private final ByteArrayOutputStream pidLine = new ByteArrayOutputStream();
        private final CountDownLatch pidKnown = new CountDownLatch(1);
        private final CountDownLatch ended = new CountDownLatch(1);
        private volatile long pid;
        private volatile IOException failure;
        private boolean headerDone;

        Output(int cap) {
            this.cap = cap;
        }

        /** Reads frames until the stream ends (the command exited) or breaks; then {@link #awaitEnd} returns. */
        void read(InputStream stream) {
            byte[] header = new byte[8];
            byte[] buffer = new byte[8192];
            try {
                while (stream.readNBytes(header, 0, 8) == 8) {
                    int type = header[0];
                    long size = ((header[4] & 0xffL) << 24) | ((header[5] & 0xff) << 16) | ((header[6] & 0xff) << 8) | (header[7] & 0xff);
                    while (size > 0) {
                        int n = stream.read(buffer, 0, (int) Math.min(buffer.length, size));
                        if (n < 0) {
                            throw new EOFException("the exec's stream ended in the middle of a frame");
                        }
                        accept(type, buffer, n);
                        size -= n;
                    }
                }
            } catch (IOException e) {
                failure = e;
            } finally {
                pidKnown.countDown();
                ended.countDown();
            }
        }

        private synchronized void accept(int type, byte[] payload, int length) {
            if (type == STDERR) {
                append(stderr, payload, 0, length);
            } else if (type == STDOUT) {
                int from = 0;
                while (!headerDone && from < length) {
                    byte b = payload[from++];
                    if (b == '\n') {
                        headerDone = true;
                        parsePid();
                    } else {
                        pidLine.write(b);
                    }
                }
                append(stdout, payload, from, length);
            }
        }

        private void parsePid() {
            String line = pidLine.toString(StandardCharsets.US_ASCII);
            if (line.startsWith(PID_LINE)) {
                try {
                    pid = Long.parseLong(line.substring(PID_LINE.length()).trim());
                } catch (NumberFormatException e) {
                    pid = -1;
                }
            }
            pidKnown.countDown();
        }

        private void append(ByteArrayOutputStream into, byte[] payload, int from, int end) {
            int room = cap - into.size();
            if (room > 0) {
                into.write(payload, from, Math.min(room, end - from));
            }
        }

        /** Whether the stream ended within {@code max}. */
        boolean awaitEnd(Duration max) throws InterruptedException {
            return ended.await(max.toMillis(), TimeUnit.MILLISECONDS);
        }

        /** Why the stream broke, or null when it ended normally. */
        IOException failure() {
            return failure;
        }

        /** Whether the wrapper printed its PID line, i.e. a shell started in the container. */
        boolean wrapperRan() {
            return pid > 0;
        }

        long awaitPid(Duration max) throws InterruptedException {
            pidKnown.await(max.toMillis(), TimeUnit.MILLISECONDS);
            return pid;
        }

        synchronized byte[] stdout() {
            return stdout.toByteArray();
        }

        synchronized byte[] stderr() {
            return stderr.toByteArray();
        }
    }
}
