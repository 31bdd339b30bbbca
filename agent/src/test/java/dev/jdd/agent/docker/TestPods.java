package dev.jdd.agent.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.RestartPolicy;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Runs "pods" the way kubelet (dockershim / cri-dockerd) lays them out on Docker: a sandbox ("pause")
 * container labelled {@code io.kubernetes.docker.type=podsandbox} with container name {@code POD}, and app
 * containers labelled {@code io.kubernetes.docker.type=container} that join the sandbox's network (none) and
 * IPC namespaces. Every container carries {@link #RUN_LABEL}={@link #RUN}, unique to this test JVM, and a name
 * starting with {@link #RUN}; {@link #close()} removes them, and a shutdown hook removes whatever is left
 * if a test dies.
 */
public final class TestPods implements AutoCloseable {
    /** Unique per test JVM: a name prefix and the default namespace (a valid DNS-1123 label). */
    public static final String RUN = "jddt-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(3));
    public static final String RUN_LABEL = "dev.jdd.test.run";

    private static final Set<URI> HOSTS_USED = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> HOSTS_USED.forEach(TestPods::removeEverythingOfThisRun)));
    }

    private final DockerClient docker;
    private final URI host;
    private final List<String> created = new CopyOnWriteArrayList<>();

    /** What an app container runs and how it is confined. */
    public record App(String namespace, String pod, String container, List<String> command, String user,
                      boolean readOnlyRootFs, boolean tmpfsTmp, boolean restartOnEngineStart, String image) {
        /** Spinner with one hot thread and three idle ones, in the JDK image, in this run's namespace. */
        public static App spinner(String pod) {
            return new App(RUN, pod, "app", spinnerCommand(3, 1), null, false, false, false, null);
        }

        /** {@code dev.jdd.testing.SplitSpinner} (one hot thread, 70/30 between two methods; two idle ones), to profile. */
        public static App splitSpinner(String pod) {
            return spinner(pod).withCommand(List.of("java", "-Xmx24m", "-Xss512k", "-XX:+UseSerialGC", "-Xshare:auto",
                    "-cp", "/app", "dev.jdd.testing.SplitSpinner", "2"));
        }

        public App withNamespace(String ns) {
            return new App(ns, pod, container, command, user, readOnlyRootFs, tmpfsTmp, restartOnEngineStart, image);
        }

        public App withContainer(String name) {
            return new App(namespace, pod, name, command, user, readOnlyRootFs, tmpfsTmp, restartOnEngineStart, image);
        }

        public App withCommand(List<String> cmd) {
            return new App(namespace, pod, container, cmd, user, readOnlyRootFs, tmpfsTmp, restartOnEngineStart, image);
        }

        /** Runs as this user, e.g. {@code 1000:1000} (the image's {@code app}). */
        public App withUser(String u) {
            return new App(namespace, pod, container, command, u, readOnlyRootFs, tmpfsTmp, restartOnEngineStart, image);
        }

        /** A read-only root filesystem with a writable tmpfs on /tmp (as a pod with an emptyDir /tmp has). */
        public App readOnly() {
            return new App(namespace, pod, container, command, user, true, true, restartOnEngineStart, image);
        }

        /** A read-only root filesystem and nothing writable. */
        public App readOnlyWithoutTmp() {
            return new App(namespace, pod, container, command, user, true, false, restartOnEngineStart, image);
        }

        /** Restarted by the engine when it restarts (kubelet would restart it too). */
        public App restartingWithTheEngine() {
            return new App(namespace, pod, container, command, user, readOnlyRootFs, tmpfsTmp, true, image);
        }

        public App withImage(String tag) {
            return new App(namespace, pod, container, command, user, readOnlyRootFs, tmpfsTmp, restartOnEngineStart, tag);
        }
    }

    /** A started pod: the app container's and the sandbox's ids. */
    public record Pod(String namespace, String pod, String container, String appId, String sandboxId) {
    }

    public static List<String> spinnerCommand(int idle, int hot) {
        return List.of("java", "-Xmx24m", "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-cp", "/app", "dev.jdd.testing.Spinner", Integer.toString(idle), Integer.toString(hot));
    }

    public TestPods(DockerClient docker, URI host) {
        this.docker = docker;
        this.host = host;
        HOSTS_USED.add(host);
    }

    public DockerClient docker() {
        return docker;
    }

    /** Starts the sandbox and the app container (not waiting for the app to be ready). */
    public Pod start(App app) {
        String uid = UUID.randomUUID().toString();
        String sandbox = run(TestImages.pause(docker, host), List.of("/bin/busybox", "sleep", "2147483647"),
                "k8s_POD_" + app.pod() + "_" + app.namespace() + "_" + uid + "_0",
                labels(app, "POD", "podsandbox", uid), new HostConfig().withNetworkMode("none")
                        .withIpcMode("shareable").withRestartPolicy(app.restartOnEngineStart() ? RestartPolicy.alwaysRestart()
                                : RestartPolicy.noRestart()), null);
        Map<String, String> appLabels = labels(app, app.container(), "container", uid);
        appLabels.put("io.kubernetes.sandbox.id", sandbox);
        HostConfig hc = new HostConfig().withNetworkMode("container:" + sandbox).withIpcMode("container:" + sandbox)
                .withReadonlyRootfs(app.readOnlyRootFs())
                .withRestartPolicy(app.restartOnEngineStart() ? RestartPolicy.alwaysRestart() : RestartPolicy.noRestart());
        if (app.tmpfsTmp()) {
            hc.withTmpFs(Map.of("/tmp", "rw,exec,mode=1777,size=64m"));
        }
        String image = app.image() != null ? app.image() : TestImages.jvm(docker, host);
        String appId = run(image, app.command(), "k8s_" + app.container() + "_" + app.pod() + "_" + app.namespace() + "_" + uid + "_0",
                appLabels, hc, app.user());
        return new Pod(app.namespace(), app.pod(), app.container(), appId, sandbox);
    }

    /** Starts the pod and waits until Spinner printed {@code ready}. */
    public Pod startReady(App app) {
        Pod pod = start(app);
        awaitLog(pod.appId(), "ready ", Duration.ofSeconds(120));
        return pod;
    }

    /** Starts a pod's containers again, sandbox first (as kubelet does after an engine restart). */
    public void restart(Pod pod) {
        for (String id : List.of(pod.sandboxId(), pod.appId())) {
            for (int attempt = 0; ; attempt++) {
                try {
                    docker.startContainerCmd(id).exec();
                    break;
                } catch (com.github.dockerjava.api.exception.NotModifiedException e) {
                    break; // running already (restart policy)
                } catch (com.github.dockerjava.api.exception.DockerException e) {
                    throw e;
                } catch (RuntimeException e) {
                    if (attempt > 0) {
                        throw e; // the first try may hit a pooled connection that the stopped engine closed
                    }
                }
            }
        }
    }

    /** A sandbox alone, labelled for {@code container} as well, as a decoy that find must never pick. */
    public String startDecoySandbox(String namespace, String pod, String container) {
        Map<String, String> labels = new HashMap<>();
        labels.put("io.kubernetes.pod.namespace", namespace);
        labels.put("io.kubernetes.pod.name", pod);
        labels.put("io.kubernetes.container.name", container);
        labels.put("io.kubernetes.docker.type", "podsandbox");
        labels.put(RUN_LABEL, RUN);
        return run(TestImages.pause(docker, host), List.of("/bin/busybox", "sleep", "2147483647"),
                "k8s_POD_" + pod + "_" + namespace + "_decoy_0", labels, new HostConfig().withNetworkMode("none"), null);
    }

    private Map<String, String> labels(App app, String containerLabel, String type, String uid) {
        Map<String, String> labels = new HashMap<>();
        labels.put("io.kubernetes.pod.namespace", app.namespace());
        labels.put("io.kubernetes.pod.name", app.pod());
        labels.put("io.kubernetes.pod.uid", uid);
        labels.put("io.kubernetes.container.name", containerLabel);
        labels.put("io.kubernetes.docker.type", type);
        labels.put(RUN_LABEL, RUN);
        return labels;
    }

    private String run(String image, List<String> command, String name, Map<String, String> labels, HostConfig hc, String user) {
        var create = docker.createContainerCmd(image).withName(RUN + "-" + name).withLabels(labels)
                .withCmd(command).withEnv(TestImages.ENV).withHostConfig(hc);
        if (user != null) {
            create.withUser(user);
        }
        String id = create.exec().getId();
        created.add(id);
        docker.startContainerCmd(id).exec();
        return id;
    }

    /** Waits until the container's output holds {@code text}. */
    public void awaitLog(String id, String text, Duration max) {
        awaitLog(id, text, 1, max);
    }

    /** Waits until the container's output (over all its runs) holds {@code text} {@code times} times. */
    public void awaitLog(String id, String text, int times, Duration max) {
        long end = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < end) {
            String logs = logs(id);
            if (logs.split(java.util.regex.Pattern.quote(text), -1).length - 1 >= times) {
                return;
            }
            var state = docker.inspectContainerCmd(id).exec().getState();
            if (!Boolean.TRUE.equals(state.getRunning())) {
                throw new IllegalStateException("container " + id + " stopped (exit " + state.getExitCodeLong() + "): " + logs);
            }
            sleep(200);
        }
        throw new IllegalStateException("container " + id + " did not print '" + text + "' within " + max + ": " + logs(id));
    }

    public String logs(String id) {
        StringBuilder out = new StringBuilder();
        try {
            docker.logContainerCmd(id).withStdOut(true).withStdErr(true).exec(new ResultCallback.Adapter<Frame>() {
                @Override
                public void onNext(Frame frame) {
                    synchronized (out) {
                        out.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
                    }
                }
            }).awaitCompletion(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (out) {
            return out.toString();
        }
    }

    /** The container's processes as the engine sees them from the host ({@code docker top}): one command line each. */
    public List<String> processes(String id) {
        var top = docker.topContainerCmd(id).withPsArgs("-eo pid,args").exec();
        List<String> lines = new ArrayList<>();
        int cmd = List.of(top.getTitles()).indexOf("COMMAND");
        for (String[] p : top.getProcesses()) {
            lines.add(p[0] + " " + (cmd >= 0 ? p[cmd] : String.join(" ", p)));
        }
        return lines;
    }

    @Override
    public void close() {
        for (String id : created) {
            try {
                docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
            } catch (NotFoundException e) {
                // already gone
            } catch (RuntimeException e) {
                System.err.println("could not remove test container " + id + ": " + e.getMessage());
            }
        }
        created.clear();
    }

    /** Removes every container of this run from that engine (shutdown hook; the engine may be gone already). */
    private static void removeEverythingOfThisRun(URI host) {
        try (DockerClient docker = DockerRuntime.client(host, 4, Duration.ofSeconds(10))) {
            for (var c : docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(RUN_LABEL, RUN)).exec()) {
                docker.removeContainerCmd(c.getId()).withForce(true).exec();
            }
        } catch (IOException | RuntimeException e) {
            // best effort: the engine may have been a private one that is stopped now
        }
    }

    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
