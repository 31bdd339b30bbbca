package dev.jdd.agent.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.ExecCreateCmd;
import com.github.dockerjava.api.command.ExecStartCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import com.github.dockerjava.zerodep.shaded.org.apache.hc.client5.http.psl.PublicSuffixMatcher;
import com.github.dockerjava.zerodep.shaded.org.apache.hc.client5.http.psl.PublicSuffixMatcherLoader;
import dev.jdd.agent.runtime.CappedOutput;
import dev.jdd.agent.runtime.ContainerRuntime;
import dev.jdd.agent.runtime.CopyRefusedException;
import dev.jdd.agent.runtime.ExecResult;
import dev.jdd.agent.runtime.Execs;
import dev.jdd.agent.runtime.KubeletLabels;
import dev.jdd.agent.runtime.RuntimeUnavailableException;
import dev.jdd.agent.runtime.Target;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyManagementException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * {@link ContainerRuntime} on the Docker Engine API over the node's socket: docker-java on its zerodep transport
 * (docs/docker.md says why that transport).
 *
 * <p>Every command runs through a small {@code sh} wrapper that first prints its own PID. Docker starts each
 * exec as a new session (runc calls setsid), so that PID is the session id of everything the command starts;
 * on timeout or interrupt the runtime signals that session inside the container (TERM, a grace period, then
 * KILL) and checks until nothing of it is left. Docker has no API to kill an exec.
 */
public final class DockerRuntime implements ContainerRuntime {
    private static final Logger LOG = Logger.getLogger(DockerRuntime.class.getName());
    /**
     * docker-java and its shaded HTTP client log every retried connection at INFO; the runtime reports what matters
     * itself, with the capture's context. Held in a field: JUL keeps loggers only weakly.
     */
    private static final Logger CLIENT_LOG = Logger.getLogger("com.github.dockerjava");

    static {
        CLIENT_LOG.setLevel(Level.WARNING);
    }

    static final String LABEL_TYPE = "io.kubernetes.docker.type";

    private static final String PID_LINE = "jdd-exec-pid ";
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** Short calls (list, inspect, create, copy) get an answer in this time, so admission never hangs on a stuck dockerd. */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration HOUSEKEEPING_TIMEOUT = Duration.ofSeconds(10);
    /**
     * How long cleanup (ending an exec's processes, removing a folder) may take before it counts as failed: a stalled
     * dockerd may leave a request unanswered for good. Then the work is interrupted, which closes its connection.
     */
    private static final Duration HOUSEKEEPING_BOUND = Duration.ofSeconds(15);
    /** Connections kept per pool; the pools open them only as calls need them ({@code --slots} is at most 1,000). */
    private static final int SHORT_CALL_CONNECTIONS = 64;
    private static final int STREAM_CONNECTIONS = 2_048;
    private static final Pattern FOLDER = Pattern.compile("/(tmp/)?\\.jdd-[0-9a-f]{16}");
    private static final Pattern NUMERIC_USER = Pattern.compile("(\\d+)(?::(\\d+))?");

    /**
     * Prints its PID, then becomes the command (positional parameters, never parsed as shell text).
     * The command list is the agent's, fixed; no alert text reaches it.
     */
    private static final String WRAPPER = "echo \"" + PID_LINE + "$$\"; exec \"$@\"";

    /**
     * Same, but feeds the command exactly {@code $1} lines of its own stdin, then end-of-file: docker-java cannot
     * half-close an exec's stdin, so the command would otherwise wait for more input forever. Builtins only.
     */
    private static final String WRAPPER_STDIN = "echo \"" + PID_LINE + "$$\"; n=$1; shift; "
            + "i=0; while [ \"$i\" -lt \"$n\" ] && IFS= read -r l; do printf '%s\\n' \"$l\"; i=$((i+1)); done | \"$@\"";

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
    private final Clients clients;
    private final Set<String> copied = ConcurrentHashMap.newKeySet();
    private final Map<List<String>, CompletableFuture<Optional<Target>>> finding = new ConcurrentHashMap<>();
    private final AtomicReference<CompletableFuture<List<Container>>> listing = new AtomicReference<>();
    private final ExecutorService cleaner =
            Executors.newCachedThreadPool(Thread.ofPlatform().name("jdd-docker-cleanup").daemon().factory());

    /**
     * The two docker-java clients: one for short calls, with a response timeout, and one for exec streams, which
     * are silent while the script samples and so get none: {@link #exec} bounds them with its own deadline.
     */
    private record Clients(DockerClient api, DockerClient streams) implements AutoCloseable {
        static Clients open(URI dockerHost) {
            return new Clients(client(dockerHost, SHORT_CALL_CONNECTIONS, CALL_TIMEOUT), client(dockerHost, STREAM_CONNECTIONS, null));
        }

        @Override
        public void close() {
            for (DockerClient c : List.of(api, streams)) {
                try {
                    c.close();
                } catch (IOException | RuntimeException e) {
                    LOG.log(Level.FINE, "closing a Docker client", e);
                }
            }
        }
    }

    /** Cleanup work that needs the clients: they may be a fresh pair when the runtime was already closed. */
    @FunctionalInterface
    private interface Housekeeping {
        void run(Clients clients) throws Exception;
    }

    /** @param dockerHost dockerd's socket, e.g. {@code unix:///var/run/docker.sock}, or {@code tcp://host:port} (no TLS) */
    public DockerRuntime(URI dockerHost) {
        this(checked(dockerHost), null, null);
    }

    /** On given clients (tests: mocked ones); {@code api} null opens the real pair on {@code dockerHost}. */
    DockerRuntime(URI dockerHost, DockerClient api, DockerClient streams) {
        this.host = dockerHost;
        this.clients = api == null ? Clients.open(dockerHost) : new Clients(api, streams);
        // In the background, so start-up does not wait: says early in the log whether dockerd answers, and
        // loads the client's code paths so that the first alert storm does not pay for that.
        cleaner.execute(this::probe);
    }

    private static URI checked(URI dockerHost) {
        String scheme = dockerHost.getScheme();
        boolean unix = "unix".equals(scheme) && dockerHost.getPath() != null && dockerHost.getPath().length() > 1;
        boolean tcp = "tcp".equals(scheme) && dockerHost.getHost() != null && dockerHost.getPort() > 0;
        if (!unix && !tcp) {
            throw new IllegalArgumentException("expected unix:///path/to/docker.sock or tcp://host:port");
        }
        return dockerHost;
    }

    /**
     * A thread-safe docker-java client on the zerodep transport, connecting in at most 5 s; with a response timeout
     * when one is given. The tests use it too.
     */
    public static DockerClient client(URI dockerHost, int maxConnections, Duration responseTimeout) {
        var config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(dockerHost.toString())
                .withDockerTlsVerify(false)
                .build();
        skipPublicSuffixList();
        var http = new ZerodepDockerHttpClient.Builder()
                .dockerHost(dockerHost)
                .maxConnections(maxConnections)
                .connectionTimeout(CONNECT_TIMEOUT);
        if ("unix".equals(dockerHost.getScheme())) {
            // Without an SSL context of its own the transport builds the system default one, which parses the JDK's
            // whole CA trust store; on a unix socket it is never used. (For tcp:// a context would mean https.)
            http.sslConfig(DockerRuntime::noTrustTlsContext);
        }
        if (responseTimeout != null) {
            http.responseTimeout(responseTimeout);
        }
        return DockerClientImpl.getInstance(config, http.build());
    }

    /** A TLS context that trusts nobody and loads no key or trust store; never used for a connection. */
    private static SSLContext noTrustTlsContext() throws NoSuchAlgorithmException, KeyManagementException {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(new KeyManager[0], new TrustManager[0], null);
        return context;
    }

    /**
     * The transport's shaded httpclient5 parses the public suffix list it carries (about 2.5 MiB of heap for good)
     * for cookie domains and HTTPS host names, neither of which plain HTTP to dockerd uses; no public API turns that
     * off. Giving its loader an empty list first avoids it; if a future docker-java changes the loader, the list is
     * simply parsed as before (DockerRuntimeTest notices).
     */
    static boolean skipPublicSuffixList() {
        try {
            Field loaded = PublicSuffixMatcherLoader.class.getDeclaredField("DEFAULT_INSTANCE");
            loaded.setAccessible(true);
            synchronized (PublicSuffixMatcherLoader.class) {
                if (loaded.get(null) == null) {
                    loaded.set(null, new PublicSuffixMatcher(List.of(), List.of()));
                }
            }
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.fine(() -> "public suffix list not skipped: " + e);
            return false;
        }
    }

    private void probe() {
        try {
            var version = call(() -> clients.api().versionCmd().exec());
            // A list and an inspect load what every find needs (in a cluster the agent's own container is listed).
            runningPodContainers().stream().findFirst().ifPresent(c -> call(() -> clients.api().inspectContainerCmd(c.getId()).exec()));
            LOG.info(() -> "Docker daemon " + version.getVersion() + " (API " + version.getApiVersion() + ") answers at " + host);
        } catch (RuntimeException e) {
            LOG.warning(() -> "Docker daemon at " + host + " does not answer yet (captures will answer error until it does): "
                    + (e instanceof DockerException d ? dockerMessage(d) : e.getMessage()));
        }
    }

    @Override
    public String name() {
        return "docker";
    }

    /**
     * Concurrent finds of the same container share one pair of dockerd calls: in an alert storm hundreds of
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

    /** The answer of a dockerd call that another thread is making for us. */
    private static <T> T shared(CompletableFuture<T> running) {
        try {
            return running.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new RuntimeUnavailableException(e.getCause().toString(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeUnavailableException("interrupted while asking the Docker daemon", e);
        }
    }

    private Optional<Target> findNow(String namespace, String pod, String container) {
        // Kubelet's sandbox carries the container-name label POD; DNS-1123 names cannot spell it, but check anyway.
        Optional<Container> newest = runningPodContainers().stream()
                .filter(c -> !"podsandbox".equals(label(c, LABEL_TYPE)) && !"POD".equals(label(c, KubeletLabels.CONTAINER)))
                // Never trust dockerd's filter alone: the labels must be exactly the names asked for.
                .filter(c -> namespace.equals(label(c, KubeletLabels.NAMESPACE)) && pod.equals(label(c, KubeletLabels.POD))
                        && container.equals(label(c, KubeletLabels.CONTAINER)))
                .max(Comparator.comparing(c -> c.getCreated() == null ? 0L : c.getCreated()));
        if (newest.isEmpty()) {
            return Optional.empty();
        }
        String id = newest.get().getId();
        return inspect(id, "inspecting container " + id).map(inspected -> {
            var state = inspected.getState();
            if (state == null || !Boolean.TRUE.equals(state.getRunning())) {
                return null;
            }
            long pid = state.getPidLong() == null ? 0 : state.getPidLong();
            return new Target(id, readableName(inspected.getName(), id), pid);
        });
    }

    /**
     * The running containers that kubelet labelled, one dockerd call shared by every find that comes while it is
     * under way: in a storm the first requests for 25 containers cost one list, not 25. Each find still sees a
     * list that started no earlier than its own arrival minus one round trip.
     */
    private List<Container> runningPodContainers() {
        CompletableFuture<List<Container>> mine = new CompletableFuture<>();
        CompletableFuture<List<Container>> running = listing.compareAndExchange(null, mine);
        if (running == null) {
            try {
                mine.complete(call(() -> clients.api().listContainersCmd()
                        .withStatusFilter(List.of("running"))
                        .withLabelFilter(List.of(KubeletLabels.POD))
                        .exec()));
            } catch (RuntimeException e) {
                mine.completeExceptionally(unavailable("listing containers", e));
            } finally {
                listing.compareAndSet(mine, null);
            }
            running = mine;
        }
        return shared(running);
    }

    /** The container as dockerd shows it, or empty when dockerd does not know it. */
    private Optional<InspectContainerResponse> inspect(String id, String what) {
        return inspect(clients, id, what);
    }

    private Optional<InspectContainerResponse> inspect(Clients with, String id, String what) {
        try {
            return Optional.of(call(() -> with.api().inspectContainerCmd(id).exec()));
        } catch (NotFoundException e) {
            return Optional.empty();
        } catch (RuntimeException e) {
            throw unavailable(what, e);
        }
    }

    @Override
    public String copy(Target target, Map<String, byte[]> files) {
        String folderName = Execs.randomName(".jdd-");
        var config = inspect(target.id(), "inspecting container " + target.name())
                .orElseThrow(() -> gone(target, "dockerd no longer knows it")).getConfig();
        // The container's configured user ("" for root), as docker run --user or the image set it.
        String user = config == null || config.getUser() == null ? "" : config.getUser().strip();
        Matcher numeric = NUMERIC_USER.matcher(user);
        // The script's own user owns its folder, so it can write there and remove it. Numeric users go into the
        // tar headers; for a user name dockerd resolves it (copyUIDGID), else the files stay root's, still 0755.
        boolean byName = !user.isEmpty() && !numeric.matches();
        byte[] tar = numeric.matches()
                ? tar(folderName, files, Integer.parseInt(numeric.group(1)), numeric.group(2) == null ? 0 : Integer.parseInt(numeric.group(2)))
                : tar(folderName, files, 0, 0);
        for (String parent : List.of("/tmp", "/")) {
            try {
                upload(target, parent, tar, byName);
            } catch (DockerException e) {
                if (containerGone(e)) {
                    throw gone(target, dockerMessage(e));
                }
                if (e.getHttpStatus() == 404 && parent.equals("/tmp")) {
                    continue; // this image has no /tmp: use the root folder
                }
                throw new CopyRefusedException("container " + target.name() + " refused the files in " + parent + ": "
                        + dockerMessage(e), e);
            } catch (RuntimeException e) {
                throw unavailable("copying into container " + target.name(), e);
            }
            String folder = (parent.equals("/") ? "" : parent) + "/" + folderName;
            copied.add(target.id() + folder);
            return folder;
        }
        throw new IllegalStateException("unreachable: the root folder always exists");
    }

    private void upload(Target target, String parent, byte[] tar, boolean copyUidGid) {
        if (copyUidGid) {
            try {
                call(() -> clients.api().copyArchiveToContainerCmd(target.id()).withRemotePath(parent).withCopyUIDGID(true)
                        .withTarInputStream(new ByteArrayInputStream(tar)).exec());
                return;
            } catch (DockerException e) {
                if (containerGone(e) || e.getHttpStatus() == 404 || String.valueOf(e.getMessage()).contains("read-only")) {
                    throw e;
                }
                LOG.fine(() -> "dockerd could not resolve the user of " + target.name() + ": " + dockerMessage(e));
            }
        }
        call(() -> clients.api().copyArchiveToContainerCmd(target.id()).withRemotePath(parent)
                .withTarInputStream(new ByteArrayInputStream(tar)).exec());
    }

    @Override
    public ExecResult exec(Target target, List<String> command, byte[] stdin, Duration timeout) throws InterruptedException {
        return run(clients, target, null, command, stdin, timeout);
    }

    @Override
    public boolean removeFolder(Target target, String folder) {
        if (!FOLDER.matcher(folder).matches() || !copied.remove(target.id() + folder)) {
            LOG.warning(() -> "not removing " + folder + " from " + target.name() + ": this runtime did not copy it");
            return true;
        }
        // Also when the caller is interrupted (the agent stopping): the folder must not stay behind.
        String failure = housekeeping(with -> {
            ExecResult r = run(with, target, "0", List.of("rm", "-rf", "--", folder), null, HOUSEKEEPING_TIMEOUT);
            if (r.exitCode() != 0) {
                throw new RuntimeUnavailableException("rm exited " + r.exitCode() + (r.timedOut() ? " (timed out)" : "") + ": "
                        + new String(r.stderr(), StandardCharsets.UTF_8).strip());
            }
        }, "removing " + folder + " from " + target.name());
        if (failure != null) {
            copied.add(target.id() + folder); // so that a later call may remove it
            return false;
        }
        return true;
    }

    /**
     * Runs cleanup on a thread of its own and waits for it whatever the caller's interrupt status: an interrupted
     * thread would have its socket closed under it by the JDK. The caller's interrupt flag is kept. After
     * {@link #close} the work runs here, on clients of its own, so that the last captures still clean up. Returns null
     * when the work succeeded, else why it failed (logged); work that takes longer than {@link #HOUSEKEEPING_BOUND}
     * is interrupted and has failed.
     */
    private String housekeeping(Housekeeping work, String what) {
        boolean interrupted = Thread.interrupted();
        Future<Void> done;
        try {
            done = cleaner.submit(() -> {
                work.run(clients);
                return null;
            });
        } catch (RejectedExecutionException closed) {
            FutureTask<Void> inline = new FutureTask<>(() -> {
                try (Clients own = Clients.open(host)) {
                    work.run(own);
                }
                return null;
            });
            inline.run(); // the interrupt flag is cleared above
            done = inline;
        }
        String failure = null;
        long end = System.nanoTime() + HOUSEKEEPING_BOUND.toNanos();
        while (true) {
            try {
                done.get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (TimeoutException e) {
                done.cancel(true);
                failure = "dockerd did not answer within " + HOUSEKEEPING_BOUND.toSeconds() + " s";
                LOG.warning(what + " failed: " + failure);
                break;
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                failure = cause.getMessage() == null ? cause.toString() : cause.getMessage();
                LOG.warning(what + " failed: " + failure);
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return failure;
    }

    @Override
    public void close() {
        cleaner.shutdown();
        clients.close();
    }

    private ExecResult run(Clients with, Target target, String user, List<String> command, byte[] stdin, Duration timeout)
            throws InterruptedException {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        byte[] input = stdin == null ? null : asLines(stdin);
        List<String> wrapped = new ArrayList<>(List.of("sh", "-c", input == null ? WRAPPER : WRAPPER_STDIN, "jdd-exec"));
        if (input != null) {
            wrapped.add(Integer.toString(countLines(input)));
        }
        wrapped.addAll(command);

        String execId;
        try {
            ExecCreateCmd create = with.api().execCreateCmd(target.id())
                    .withCmd(wrapped.toArray(String[]::new))
                    .withAttachStdout(true).withAttachStderr(true).withAttachStdin(input != null).withTty(false);
            if (user != null) {
                create.withUser(user);
            }
            execId = call(create::exec).getId();
        } catch (DockerException e) {
            if (containerGone(e) || e.getHttpStatus() == 409) {
                throw gone(target, dockerMessage(e));
            }
            throw unavailable("creating an exec in " + target.name(), e);
        } catch (RuntimeException e) {
            throw unavailable("creating an exec in " + target.name(), e);
        }

        Output output = new Output(CappedOutput.DEFAULT_CAP);
        ExecStartCmd start = with.streams().execStartCmd(execId).withDetach(false).withTty(false);
        if (input != null) {
            start.withStdIn(new ByteArrayInputStream(input));
        }
        try {
            try {
                start.exec(output);
            } catch (RuntimeException e) {
                if (!requestNeverSent(e)) {
                    throw e;
                }
                start.exec(output); // a connection dockerd had closed: the exec did not start, so start it now
            }
        } catch (RuntimeException e) {
            throw unavailable("starting an exec in " + target.name(), e);
        }

        boolean finished;
        try {
            finished = output.awaitCompletion(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            endSession(target, output);
            Thread.interrupted(); // reported by the exception
            throw e;
        } catch (RuntimeException e) {
            output.closeQuietly();
            throw lost(with, target, e);
        }
        if (!finished) {
            String endFailure = endSession(target, output);
            return new ExecResult(-1, output.stdout(), output.stderr(), true, endFailure, output.stdoutCut());
        }
        output.closeQuietly();

        Long exitCode;
        try {
            exitCode = call(() -> with.api().inspectExecCmd(execId).exec()).getExitCodeLong();
        } catch (RuntimeException e) {
            throw lost(with, target, e);
        }
        if (exitCode == null || exitCode >= 128) {
            // Ended by a signal: maybe the container stopped under it. Dockerd records that a moment after
            // the exec's stream ends, so look a few times before believing the container still runs.
            for (int i = 0; i < 10; i++) {
                requireRunning(with, target);
                Thread.sleep(100);
            }
        }
        requireRunning(with, target);
        int code = exitCode == null ? -1 : exitCode.intValue();
        byte[] stderr = output.stderr();
        if ((code == 126 || code == 127) && !output.wrapperRan()) {
            // Dockerd says nothing else when the container has no usable shell: say it here, for the dump.
            stderr = concat(("jdd: the container has no usable sh (exec exited " + code + " before anything ran)\n")
                    .getBytes(StandardCharsets.UTF_8), stderr);
        }
        return new ExecResult(code, output.stdout(), stderr, false, null, output.stdoutCut());
    }

    /**
     * Ends every process of the exec's session inside the container ({@link Execs#termThenKill}) and checks that none
     * is left. Returns null when none is left, else why not.
     */
    private String endSession(Target target, Output output) {
        return housekeeping(with -> {
            try {
                long session = output.awaitPid(Duration.ofSeconds(5));
                if (session <= 0) {
                    throw new RuntimeUnavailableException("the exec never reported its PID, so its processes cannot be found");
                }
                List<String> left = Execs.termThenKill(signal -> signalSession(with, target, session, signal));
                if (!left.isEmpty()) {
                    throw new RuntimeUnavailableException("processes " + left + " survived KILL");
                }
            } finally {
                output.closeQuietly();
            }
        }, "ending an exec in " + target.name());
    }

    /** Signals the session's live processes (as root in the container) and returns their PIDs. */
    private List<String> signalSession(Clients with, Target target, long session, Execs.Signal signal) throws InterruptedException {
        String name = signal == Execs.Signal.NONE ? "0" : signal.name();
        ExecResult r = run(with, target, "0", List.of("sh", "-c", SESSION_KILLER, "jdd-kill", Long.toString(session), name),
                null, HOUSEKEEPING_TIMEOUT);
        if (r.timedOut()) {
            throw new RuntimeUnavailableException("listing the processes of an exec in " + target.name() + " timed out");
        }
        return Arrays.stream(new String(r.stdout(), StandardCharsets.US_ASCII).split("\\s+")).filter(s -> !s.isEmpty()).toList();
    }

    private void requireRunning(Clients with, Target target) {
        var state = inspect(with, target.id(), "inspecting container " + target.name())
                .orElseThrow(() -> gone(target, "dockerd no longer knows it")).getState();
        if (state == null || !Boolean.TRUE.equals(state.getRunning())) {
            Long code = state == null ? null : state.getExitCodeLong();
            throw new RuntimeUnavailableException("container " + target.name() + " stopped during the exec"
                    + (code == null ? "" : " (exit code " + code + ")"));
        }
    }

    /**
     * Runs a request, once more when it failed on a pooled connection that dockerd had closed (after a dockerd
     * restart): the pool drops that connection, so the runtime works again at once, with no sticky broken state.
     * Only requests that are safe to repeat go through here (reads, exec create, the idempotent archive upload).
     */
    private static <T> T call(Supplier<T> request) {
        try {
            return request.get();
        } catch (DockerException e) {
            throw e;
        } catch (RuntimeException e) {
            if (!staleConnection(e)) {
                throw e;
            }
            return request.get();
        }
    }

    private static boolean staleConnection(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (m.contains("Broken pipe") || m.contains("Connection reset") || t.getClass().getSimpleName().equals("NoHttpResponseException")
                    || t.getClass().getSimpleName().equals("ConnectionClosedException")) {
                return true;
            }
        }
        return false;
    }

    /** Writing the request failed, so dockerd never saw it. */
    private static boolean requestNeverSent(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (String.valueOf(t.getMessage()).contains("Broken pipe")) {
                return true;
            }
        }
        return false;
    }

    /** The exec's stream broke: the container stopped, or dockerd went away. */
    private RuntimeUnavailableException lost(Clients with, Target target, RuntimeException e) {
        try {
            requireRunning(with, target);
        } catch (RuntimeUnavailableException stopped) {
            return stopped;
        }
        return unavailable("running an exec in " + target.name(), e);
    }

    private static RuntimeUnavailableException gone(Target target, String reason) {
        return new RuntimeUnavailableException("container " + target.name() + " is gone or not running: " + reason);
    }

    private RuntimeUnavailableException unavailable(String what, RuntimeException e) {
        if (e instanceof RuntimeUnavailableException r) {
            return r;
        }
        String reason = e instanceof DockerException d ? "answered " + d.getHttpStatus() + ": " + dockerMessage(d) : rootCause(e);
        return new RuntimeUnavailableException("Docker daemon at " + host + ": " + what + " failed: " + reason, e);
    }

    private static boolean containerGone(DockerException e) {
        return e.getHttpStatus() == 404 && String.valueOf(e.getMessage()).contains("No such container");
    }

    private static final Pattern JSON_MESSAGE = Pattern.compile("\"message\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** Dockerd's own words from {@code {"message":"..."}} in docker-java's exception text, else that text. */
    static String dockerMessage(DockerException e) {
        String m = String.valueOf(e.getMessage());
        Matcher matcher = JSON_MESSAGE.matcher(m);
        return (matcher.find() ? matcher.group(1) : m).strip();
    }

    private static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
    }

    private static String label(Container c, String key) {
        return c.getLabels() == null ? null : c.getLabels().get(key);
    }

    private static String readableName(String name, String id) {
        if (name == null || name.isBlank()) {
            return id.substring(0, Math.min(12, id.length()));
        }
        return name.startsWith("/") ? name.substring(1) : name;
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

    /** Stdin for the line-feeding wrapper: text that ends with a newline. */
    static byte[] asLines(byte[] stdin) {
        for (byte b : stdin) {
            if (b == 0) {
                throw new IllegalArgumentException("stdin for an exec must be text (it holds a NUL byte)");
            }
        }
        if (stdin.length > 0 && stdin[stdin.length - 1] != '\n') {
            byte[] withNewline = Arrays.copyOf(stdin, stdin.length + 1);
            withNewline[stdin.length] = '\n';
            return withNewline;
        }
        return stdin;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    private static int countLines(byte[] text) {
        int n = 0;
        for (byte b : text) {
            if (b == '\n') {
                n++;
            }
        }
        return n;
    }

    /** Collects an exec's stdout and stderr apart, each capped, and takes the wrapper's PID line off stdout. */
    static final class Output extends ResultCallback.Adapter<Frame> {
        private final CappedOutput stdout;
        private final CappedOutput stderr;
        private final ByteArrayOutputStream pidLine = new ByteArrayOutputStream();
        private final CountDownLatch pidKnown = new CountDownLatch(1);
        private volatile long pid;
        private boolean headerDone;

        Output(int cap) {
            this.stdout = new CappedOutput(cap);
            this.stderr = new CappedOutput(cap);
        }

        @Override
        public void onNext(Frame frame) {
            byte[] payload = frame.getPayload();
            if (payload == null) {
                return;
            }
            synchronized (this) {
                if (frame.getStreamType() == StreamType.STDERR) {
                    stderr.append(payload, 0, payload.length);
                } else if (frame.getStreamType() == StreamType.STDOUT || frame.getStreamType() == StreamType.RAW) {
                    int from = 0;
                    while (!headerDone && from < payload.length) {
                        byte b = payload[from++];
                        if (b == '\n') {
                            headerDone = true;
                            parsePid();
                        } else {
                            pidLine.write(b);
                        }
                    }
                    stdout.append(payload, from, payload.length - from);
                }
            }
        }

        @Override
        public void onComplete() {
            pidKnown.countDown();
            super.onComplete();
        }

        @Override
        public void onError(Throwable throwable) {
            pidKnown.countDown();
            super.onError(throwable);
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

        /** Whether the wrapper printed its PID line, i.e. a shell started in the container. */
        boolean wrapperRan() {
            return pid > 0;
        }

        long awaitPid(Duration max) throws InterruptedException {
            pidKnown.await(max.toMillis(), TimeUnit.MILLISECONDS);
            return pid;
        }

        byte[] stdout() {
            return stdout.bytes();
        }

        boolean stdoutCut() {
            return stdout.dropped() > 0;
        }

        byte[] stderr() {
            return stderr.bytes();
        }

        void closeQuietly() {
            try {
                close();
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.FINE, "closing an exec stream", e);
            }
        }
    }
}
