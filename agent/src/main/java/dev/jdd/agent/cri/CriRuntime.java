package dev.jdd.agent.cri;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jdd.agent.cri.v1.Container;
import dev.jdd.agent.cri.v1.ContainerFilter;
import dev.jdd.agent.cri.v1.ContainerState;
import dev.jdd.agent.cri.v1.ContainerStateValue;
import dev.jdd.agent.cri.v1.ContainerStatusRequest;
import dev.jdd.agent.cri.v1.ContainerStatusResponse;
import dev.jdd.agent.cri.v1.ExecSyncRequest;
import dev.jdd.agent.cri.v1.ExecSyncResponse;
import dev.jdd.agent.cri.v1.ListContainersRequest;
import dev.jdd.agent.cri.v1.RuntimeServiceGrpc;
import dev.jdd.agent.cri.v1.VersionRequest;
import dev.jdd.agent.cri.v1.VersionResponse;
import dev.jdd.agent.runtime.CappedOutput;
import dev.jdd.agent.runtime.ContainerRuntime;
import dev.jdd.agent.runtime.CopyRefusedException;
import dev.jdd.agent.runtime.ExecResult;
import dev.jdd.agent.runtime.Execs;
import dev.jdd.agent.runtime.KubeletLabels;
import dev.jdd.agent.runtime.RuntimeUnavailableException;
import dev.jdd.agent.runtime.Target;
import dev.jdd.common.Json;
import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * {@link ContainerRuntime} on the Kubernetes Container Runtime Interface ({@code runtime.v1.RuntimeService}) over the
 * node's CRI socket: containerd, CRI-O, k3s's containerd, cri-dockerd. The stubs are generated from the upstream
 * {@code api.proto} (src/main/proto); gRPC and protobuf do the wire.
 *
 * <p>CRI has no copy call and {@code ExecSync} no stdin, so craw.sh goes in as the argument of {@code sh -c} (see
 * docs/cri.md): {@link #copy} always refuses, and the caller's fallback, {@code sh -s --} with the script on stdin,
 * runs here as {@code sh -c <script> <name> <args>}, which a shell runs the same way. Nothing is written into the
 * container, so a read-only root filesystem makes no difference.
 *
 * <p>{@code ExecSync}'s own timeout kills only the process it started. So every exec carries a random token as
 * {@code $0}, and when the agent's timeout passes first (or the calling thread is interrupted) the runtime ends
 * the exec's whole session from the node ({@link ExecSessions}), before the runtime's own timeout and the client
 * deadline, set a little later, end the call.
 */
public final class CriRuntime implements ContainerRuntime {
    private static final Logger LOG = Logger.getLogger(CriRuntime.class.getName());

    /** ExecSync answers carry up to 16 MiB of stdout and of stderr each (CRI caps them there). */
    private static final int MAX_MESSAGE = 40 << 20;
    /** Short calls (version, list, status) get an answer in this time, so admission never hangs on a stuck runtime. */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(15);
    /** How long a read that failed on a broken connection waits for a new one before it gives up. */
    private static final Duration RECONNECT_WAIT = Duration.ofSeconds(2);
    /** How much later than the agent's own timeout the runtime's ExecSync timeout ends the exec (a backstop). */
    private static final Duration RUNTIME_TIMEOUT_MARGIN = Duration.ofSeconds(2);
    /** How much later than that the client deadline gives up on the call. */
    private static final Duration CLIENT_DEADLINE_MARGIN = Duration.ofSeconds(3);
    private static final List<String> STDIN_SHELL = List.of("sh", "-s", "--");
    /**
     * Runs the command as a child of a shell whose {@code $0} is the token, so the session leader carries it. Not the
     * shell's last command: busybox and bash would exec it in place of the shell, and the token would go.
     */
    private static final String RUN_ARGUMENTS = "\"$@\"; exit $?";

    /**
     * grpc-netty logs a warning for every connection on a unix socket ("Unknown channel option 'SO_KEEPALIVE'"):
     * the option does not apply there. Held here so that the level set on it stays.
     */
    private static final Logger NETTY_BOOTSTRAP = Logger.getLogger("io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap");

    static {
        NETTY_BOOTSTRAP.setLevel(java.util.logging.Level.SEVERE);
        // A few small calls per capture need neither Netty's pooled buffer arenas nor an event loop per core:
        // unpooled buffers and one event loop thread keep about 5 MiB off the agent's idle RSS (docs/cri.md).
        // Set before Netty's classes load, unless the operator set them (-D...).
        for (String[] property : new String[][] {
                {"io.grpc.netty.shaded.io.netty.allocator.type", "unpooled"},
                {"io.grpc.netty.shaded.io.netty.eventLoopThreads", "1"}}) {
            if (System.getProperty(property[0]) == null) {
                System.setProperty(property[0], property[1]);
            }
        }
    }

    private final String endpoint;
    private final String name;
    private final ManagedChannel channel;
    private final ExecSessions sessions;

    private CriRuntime(String endpoint, String name, ManagedChannel channel, ExecSessions sessions) {
        this.endpoint = endpoint;
        this.name = name;
        this.channel = channel;
        this.sessions = sessions;
    }

    /**
     * Connects to the CRI runtime at {@code endpoint} ({@code unix:///path}, or a bare path) and asks its
     * {@code Version} within {@code deadline}.
     *
     * @throws RuntimeUnavailableException naming the endpoint, when nothing answers there, or not CRI v1
     */
    public static CriRuntime connect(String endpoint, Duration deadline) {
        String target = CriEndpoint.existingTarget(endpoint);
        ManagedChannel channel;
        try {
            channel = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create())
                    .maxInboundMessageSize(MAX_MESSAGE)
                    .build();
        } catch (IllegalArgumentException e) {
            throw new RuntimeUnavailableException("CRI runtime at " + target + ": not an endpoint gRPC can reach: " + e.getMessage());
        }
        try {
            VersionResponse v = RuntimeServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                    .version(VersionRequest.newBuilder().setVersion("v1").build());
            String name = v.getRuntimeName() + " " + v.getRuntimeVersion();
            LOG.info(() -> "CRI runtime " + name + " (CRI " + v.getRuntimeApiVersion() + ") answers at " + target);
            return new CriRuntime(target, name, channel, new ExecSessions(Path.of("/proc")));
        } catch (StatusRuntimeException e) {
            channel.shutdownNow();
            throw new RuntimeUnavailableException("CRI runtime at " + target + ": asking its version failed: " + describe(e));
        }
    }

    /** The runtime as its {@code Version} call names it, e.g. {@code containerd 1.6.20}. */
    @Override
    public String name() {
        return name;
    }

    public String endpoint() {
        return endpoint;
    }

    @Override
    public Optional<Target> find(String namespace, String pod, String container) {
        ListContainersRequest request = ListContainersRequest.newBuilder()
                .setFilter(ContainerFilter.newBuilder()
                        .setState(ContainerStateValue.newBuilder().setState(ContainerState.CONTAINER_RUNNING))
                        .putLabelSelector(KubeletLabels.NAMESPACE, namespace)
                        .putLabelSelector(KubeletLabels.POD, pod)
                        .putLabelSelector(KubeletLabels.CONTAINER, container))
                .build();
        List<Container> found = call("listing containers", stub -> stub.listContainers(request)).getContainersList();
        // Only RUNNING containers, and only containers: CRI lists pod sandboxes apart. Several (a restart in
        // progress): the newest.
        Optional<Container> newest = found.stream()
                .filter(c -> c.getState() == ContainerState.CONTAINER_RUNNING)
                .max(Comparator.comparingLong(Container::getCreatedAt));
        if (newest.isEmpty()) {
            return Optional.empty();
        }
        Container c = newest.get();
        ContainerStatusResponse status;
        try {
            status = call("asking a container's status", stub -> stub.containerStatus(
                    ContainerStatusRequest.newBuilder().setContainerId(c.getId()).setVerbose(true).build()));
        } catch (NotFound gone) {
            return Optional.empty();
        }
        if (status.getStatus().getState() != ContainerState.CONTAINER_RUNNING) {
            return Optional.empty();
        }
        String readable = pod + "/" + container + " (" + c.getId().substring(0, Math.min(12, c.getId().length())) + ")";
        return Optional.of(new Target(c.getId(), readable, hostPid(status.getInfoMap())));
    }

    /** The container's main process as the node sees it: {@code pid} in the verbose {@code info} JSON, else 0. */
    static long hostPid(Map<String, String> info) {
        String json = info.get("info");
        if (json == null) {
            return 0;
        }
        try {
            JsonNode pid = Json.MAPPER.readTree(json).path("pid");
            return pid.canConvertToLong() ? pid.asLong() : 0;
        } catch (IOException e) {
            LOG.warning(() -> "a container's verbose status holds no JSON info: " + e.getMessage());
            return 0;
        }
    }

    /** CRI has no copy call: the script goes in as the argument of {@code sh -c} instead (docs/cri.md). */
    @Override
    public String copy(Target target, Map<String, byte[]> files) {
        throw new CopyRefusedException("CRI has no copy call; the script goes in as the argument of sh -c", null);
    }

    /** Nothing is ever copied (see {@link #copy}), so there is nothing to remove. */
    @Override
    public boolean removeFolder(Target target, String folder) {
        return true;
    }

    /**
     * Runs {@code command} with {@code ExecSync}. {@code ExecSync} has no stdin; the one use of it, {@code sh -s --}
     * with a script on stdin, runs as {@code sh -c <script>} with the same arguments; any other stdin is refused.
     */
    @Override
    public ExecResult exec(Target target, List<String> command, byte[] stdin, Duration timeout) throws InterruptedException {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        String token = Execs.randomName("jdd-exec-");
        List<String> cmd = new ArrayList<>(List.of("sh", "-c"));
        if (stdin != null) {
            if (command.size() < STDIN_SHELL.size() || !command.subList(0, STDIN_SHELL.size()).equals(STDIN_SHELL)) {
                throw new IllegalArgumentException("CRI ExecSync has no stdin; only sh -s -- can take one: " + command);
            }
            cmd.add(new String(stdin, StandardCharsets.UTF_8));
            cmd.add(token);
            cmd.addAll(command.subList(STDIN_SHELL.size(), command.size()));
        } else {
            cmd.add(RUN_ARGUMENTS);
            cmd.add(token);
            cmd.addAll(command);
        }
        long runtimeTimeoutSeconds = (timeout.plus(RUNTIME_TIMEOUT_MARGIN).toMillis() + 999) / 1000;
        ExecSyncRequest request = ExecSyncRequest.newBuilder()
                .setContainerId(target.id())
                .addAllCmd(cmd)
                .setTimeout(runtimeTimeoutSeconds)
                .build();
        long deadlineMillis = runtimeTimeoutSeconds * 1000 + CLIENT_DEADLINE_MARGIN.toMillis();
        ListenableFuture<ExecSyncResponse> answer = RuntimeServiceGrpc.newFutureStub(ready())
                .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS)
                .execSync(request);
        ExecSyncResponse response;
        try {
            response = answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            String endFailure = sessions.end(token, target);
            answer.cancel(true);
            return new ExecResult(-1, new byte[0], ("jdd: " + (endFailure == null ? "ended" : "could not end it") + " after "
                    + timeout.toMillis() + " ms\n").getBytes(StandardCharsets.UTF_8), true, endFailure);
        } catch (InterruptedException e) {
            sessions.end(token, target);
            answer.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Status status = Status.fromThrowable(e.getCause());
            return execFailed(target, status);
        }
        int code = response.getExitCode();
        if (code >= 128 || code == 3) {
            // Maybe the container stopped under it (killed by a signal, or the script saw its JVM go: exit 3). The
            // runtime records that a moment after the exec ends, so look a few times before believing the container
            // runs. Other exits (no dump tool, out of time) say nothing about the container and cost no wait.
            for (int i = 0; i < 10; i++) {
                requireRunning(target);
                Thread.sleep(100);
            }
        }
        requireRunning(target);
        return new ExecResult(code, CappedOutput.keep(response.getStdout().toByteArray()),
                CappedOutput.keep(response.getStderr().toByteArray()), false, null,
                response.getStdout().size() > CappedOutput.DEFAULT_CAP);
    }

    /** ExecSync answered with an error instead of an exit code. */
    private ExecResult execFailed(Target target, Status status) {
        String message = status.getDescription() == null ? "" : status.getDescription();
        if (status.getCode() == Status.Code.UNAVAILABLE || status.getCode() == Status.Code.CANCELLED) {
            resetBackoff();
            throw unavailable("running an exec in " + target.name(), status);
        }
        requireRunning(target);
        if (message.contains("executable file not found") || message.contains("no such file or directory")) {
            // The runtime could not start sh at all: say it as a shell would (exit 127), so auto turns to the node engine.
            return new ExecResult(127, new byte[0], ("jdd: the container has no usable sh: " + message + "\n")
                    .getBytes(StandardCharsets.UTF_8), false);
        }
        throw unavailable("running an exec in " + target.name(), status);
    }

    private void requireRunning(Target target) {
        ContainerStatusResponse status;
        try {
            status = call("asking a container's status", stub -> stub.containerStatus(
                    ContainerStatusRequest.newBuilder().setContainerId(target.id()).build()));
        } catch (NotFound e) {
            throw new RuntimeUnavailableException("container " + target.name() + " is gone: the runtime no longer knows it");
        }
        if (status.getStatus().getState() != ContainerState.CONTAINER_RUNNING) {
            throw new RuntimeUnavailableException("container " + target.name() + " stopped during the exec (exit code "
                    + status.getStatus().getExitCode() + ")");
        }
    }

    private RuntimeServiceGrpc.RuntimeServiceBlockingStub stub() {
        return RuntimeServiceGrpc.newBlockingStub(ready()).withDeadlineAfter(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * The channel, told to connect again at once if its last attempt failed: after a runtime restart, the next
     * call must not wait out gRPC's reconnect backoff (up to two minutes).
     */
    private ManagedChannel ready() {
        if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
            channel.resetConnectBackoff();
        }
        return channel;
    }

    private void resetBackoff() {
        channel.resetConnectBackoff();
    }

    /** A container the runtime does not know (any more). */
    private static final class NotFound extends RuntimeUnavailableException {
        NotFound(String message) {
            super(message);
        }
    }

    @FunctionalInterface
    private interface Call<T> {
        T run(RuntimeServiceGrpc.RuntimeServiceBlockingStub stub);
    }

    /**
     * A short call that only reads; any failure is {@link RuntimeUnavailableException} naming the socket, NOT_FOUND
     * is {@link NotFound}.
     */
    private <T> T call(String what, Call<T> call) {
        try {
            try {
                return call.run(stub());
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
                    throw e;
                }
                // The connection broke (a runtime restart): these calls only read, so try once more on a fresh
                // connection, waiting a moment for it.
                resetBackoff();
                return call.run(RuntimeServiceGrpc.newBlockingStub(channel).withWaitForReady()
                        .withDeadlineAfter(RECONNECT_WAIT.toMillis(), TimeUnit.MILLISECONDS));
            }
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                throw new NotFound(describe(e));
            }
            if (e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
                resetBackoff();
            }
            throw unavailable(what, e.getStatus());
        }
    }

    private RuntimeUnavailableException unavailable(String what, Status status) {
        return new RuntimeUnavailableException("CRI runtime at " + endpoint + ": " + what + " failed: " + describe(status));
    }

    private static String describe(StatusRuntimeException e) {
        return describe(e.getStatus());
    }

    private static String describe(Status status) {
        return status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription());
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
