package dev.jdd.agent.cri;

import com.github.dockerjava.api.DockerClient;
import dev.jdd.agent.cri.v1.Int64Value;
import dev.jdd.agent.cri.v1.ContainerConfig;
import dev.jdd.agent.cri.v1.ContainerMetadata;
import dev.jdd.agent.cri.v1.CreateContainerRequest;
import dev.jdd.agent.cri.v1.ImageSpec;
import dev.jdd.agent.cri.v1.KeyValue;
import dev.jdd.agent.cri.v1.LinuxContainerConfig;
import dev.jdd.agent.cri.v1.LinuxContainerSecurityContext;
import dev.jdd.agent.cri.v1.LinuxPodSandboxConfig;
import dev.jdd.agent.cri.v1.LinuxSandboxSecurityContext;
import dev.jdd.agent.cri.v1.ListPodSandboxRequest;
import dev.jdd.agent.cri.v1.Mount;
import dev.jdd.agent.cri.v1.NamespaceMode;
import dev.jdd.agent.cri.v1.NamespaceOption;
import dev.jdd.agent.cri.v1.PodSandboxConfig;
import dev.jdd.agent.cri.v1.PodSandboxMetadata;
import dev.jdd.agent.cri.v1.RemovePodSandboxRequest;
import dev.jdd.agent.cri.v1.RunPodSandboxRequest;
import dev.jdd.agent.cri.v1.RuntimeServiceGrpc;
import dev.jdd.agent.cri.v1.StartContainerRequest;
import dev.jdd.agent.cri.v1.StopContainerRequest;
import dev.jdd.agent.cri.v1.StopPodSandboxRequest;
import dev.jdd.agent.docker.DockerFixture;
import dev.jdd.agent.runtime.KubeletLabels;
import dev.jdd.agent.docker.DockerRuntime;
import dev.jdd.agent.docker.PrivateDockerd;
import dev.jdd.agent.docker.TestImages;
import dev.jdd.agent.docker.TestPods;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A containerd of the test's own with its CRI plugin, on its own socket, root and state folders (never on
 * {@code /run/containerd/containerd.sock}, which the machine's dockerd may take for its own), with the test images
 * imported from the Docker engine ({@link TestImages}, through {@code docker save} and {@code ctr images import}).
 * Pods are made as kubelet makes them: {@code RunPodSandbox}, {@code CreateContainer}, {@code StartContainer} with
 * the kubelet labels, through the generated CRI stubs. Pods use the node's network (no CNI needed).
 */
public final class PrivateContainerd implements AutoCloseable {
    private static final Path CONTAINERD = Path.of("/usr/bin/containerd");
    private static final Path CTR = Path.of("/usr/bin/ctr");
    private static final String SLEEP_FOREVER = "1000000000";

    private final Path dir;
    private final Path run;
    private final String jvmImage;
    private final String jreOnlyImage;
    private final String sandboxImage;
    /** Docker tags imported into this containerd. */
    private final Set<String> imported = new HashSet<>();
    private Process process;
    private ManagedChannel channel;

    /** A started containerd with its images, or why none could start. */
    public record Result(PrivateContainerd containerd, String problem) {
    }

    /** A started pod: its app container's id, its sandbox's id, and the app's log file. */
    public record Pod(String namespace, String pod, String container, String appId, String sandboxId, Path log) {
    }

    private PrivateContainerd(Path dir, Path run, String jvmImage, String jreOnlyImage, String sandboxImage) {
        this.dir = dir;
        this.run = run;
        this.jvmImage = jvmImage;
        this.jreOnlyImage = jreOnlyImage;
        this.sandboxImage = sandboxImage;
    }

    /** Starts one, or explains why not (no containerd binary, not root, no Docker engine to build the images). */
    public static Result start() {
        if (!Files.isExecutable(CONTAINERD) || !Files.isExecutable(CTR)) {
            return new Result(null, "no containerd (install containerd: " + CONTAINERD + ", " + CTR + ")");
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            return new Result(null, "a private containerd needs root; running as " + System.getProperty("user.name"));
        }
        String docker = dev.jdd.testing.DockerCondition.problem();
        if (docker != null) {
            return new Result(null, "the test images are built with Docker: " + docker);
        }
        try (DockerClient client = DockerRuntime.client(DockerFixture.HOST, 2, Duration.ofMinutes(5))) {
            String jvm = TestImages.jvm(client, DockerFixture.HOST);
            String jre = TestImages.jvm(client, DockerFixture.HOST, TestImages.Spec.jreOnly());
            String sandbox = sandboxImage(client);
            Path dir = Files.createTempDirectory(Path.of("/tmp"), "jdd-ctd");
            // Sockets: a short path (unix socket paths stay below 108 bytes).
            Path run = Files.createTempDirectory(Path.of("/run"), "jdd-ctd");
            PrivateContainerd c = new PrivateContainerd(dir, run, "docker.io/library/" + jvm, "docker.io/library/" + jre,
                    "docker.io/library/" + sandbox);
            c.writeConfig();
            c.startProcess();
            for (String image : List.of(jvm, jre, sandbox)) {
                c.importImage(image);
            }
            return new Result(c, null);
        } catch (IOException | RuntimeException e) {
            return new Result(null, "could not start a private containerd: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(null, "interrupted");
        }
    }

    /** The sandbox ("pause") image: busybox whose command sleeps, as CRI runs a sandbox by its image's command. */
    private static String sandboxImage(DockerClient docker) throws IOException, InterruptedException {
        String pause = TestImages.pause(docker, DockerFixture.HOST);
        String tag = "jdd-test-cri-pause:" + pause.substring(pause.indexOf(':') + 1);
        try {
            docker.inspectImageCmd(tag).exec();
            return tag;
        } catch (com.github.dockerjava.api.exception.NotFoundException absent) {
            // build it below
        }
        String id = docker.createContainerCmd(pause).withCmd("/bin/busybox", "sleep", SLEEP_FOREVER).exec().getId();
        try {
            run(List.of("docker", "-H", DockerFixture.HOST.toString(), "commit", id, tag));
        } finally {
            docker.removeContainerCmd(id).withForce(true).exec();
        }
        return tag;
    }

    public String endpoint() {
        return "unix://" + run.resolve("containerd.sock");
    }

    private void writeConfig() throws IOException {
        Files.createDirectories(dir.resolve("cni-bin"));
        Files.createDirectories(dir.resolve("cni-conf"));
        String config = """
                version = 2
                root = "%1$s/root"
                state = "%2$s/state"
                disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
                  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
                  "io.containerd.snapshotter.v1.overlayfs", "io.containerd.tracing.processor.v1.otlp",
                  "io.containerd.internal.v1.tracing"]
                [grpc]
                  address = "%2$s/containerd.sock"
                [ttrpc]
                  address = "%2$s/containerd.sock.ttrpc"
                [debug]
                  address = ""
                [plugins."io.containerd.grpc.v1.cri"]
                  sandbox_image = "%3$s"
                  restrict_oom_score_adj = true
                  disable_apparmor = true
                  [plugins."io.containerd.grpc.v1.cri".containerd]
                    snapshotter = "native"
                    default_runtime_name = "runc"
                    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                      runtime_type = "io.containerd.runc.v2"
                  [plugins."io.containerd.grpc.v1.cri".cni]
                    bin_dir = "%1$s/cni-bin"
                    conf_dir = "%1$s/cni-conf"
                """.formatted(dir, run, sandboxImage);
        Files.writeString(dir.resolve("config.toml"), config);
    }

    /** Starts containerd on the same folders (again, after {@link #stop()}) and waits until its CRI answers. */
    public synchronized void startProcess() throws IOException {
        Path log = dir.resolve("containerd.log");
        process = new ProcessBuilder(List.of(CONTAINERD.toString(), "--config", dir.resolve("config.toml").toString()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                throw new IOException("containerd exited with " + process.exitValue() + ": " + PrivateDockerd.tail(log));
            }
            if (answers()) {
                return;
            }
            TestPods.sleep(200);
        }
        process.destroyForcibly();
        throw new IOException("containerd's CRI did not answer within 60 s: " + PrivateDockerd.tail(log));
    }

    /** Whether its CRI answers {@code Version} now. */
    public boolean answers() {
        try (CriRuntime cri = CriRuntime.connect(endpoint(), Duration.ofSeconds(1))) {
            return cri.name().startsWith("containerd");
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Stops containerd (SIGTERM, as a restart does; containers keep running under their shims) and waits. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        PrivateDockerd.terminate(process);
        process = null;
        if (channel != null) {
            channel.shutdownNow();
            channel = null;
        }
    }

    private synchronized void importImage(String tag) throws IOException, InterruptedException {
        if (imported.contains(tag)) {
            return;
        }
        Path tar = dir.resolve("image.tar");
        run(List.of("docker", "-H", DockerFixture.HOST.toString(), "save", "-o", tar.toString(), tag));
        run(List.of(CTR.toString(), "-a", run.resolve("containerd.sock").toString(), "-n", "k8s.io",
                "images", "import", "--snapshotter", "native", tar.toString()));
        Files.delete(tar);
        imported.add(tag);
    }

    /** A JVM image with these contents as containerd names it: built with Docker ({@link TestImages}), imported once. */
    public String image(TestImages.Spec spec) {
        try (DockerClient client = DockerRuntime.client(DockerFixture.HOST, 2, Duration.ofMinutes(5))) {
            String tag = TestImages.jvm(client, DockerFixture.HOST, spec);
            importImage(tag);
            return "docker.io/library/" + tag;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while importing an image", e);
        }
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
    }

    private synchronized RuntimeServiceGrpc.RuntimeServiceBlockingStub cri() {
        if (channel == null) {
            channel = Grpc.newChannelBuilder(endpoint(), InsecureChannelCredentials.create()).build();
        }
        return RuntimeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.MINUTES);
    }

    /** The JDK image (jcmd, busybox) as containerd names it. */
    public String jvmImage() {
        return jvmImage;
    }

    /** The JRE-only image: no shell, no jcmd. */
    public String jreOnlyImage() {
        return jreOnlyImage;
    }

    /**
     * Starts a pod as kubelet would: sandbox (node network), then the app container with kubelet's labels. Uses
     * {@code app}'s names, command, user ({@code uid[:gid]}), read-only root filesystem (with a tmpfs /tmp when
     * asked) and image (default: the JDK image).
     */
    public Pod start(TestPods.App app) {
        String uid = UUID.randomUUID().toString();
        Path logs = dir.resolve("pods").resolve(uid);
        try {
            Files.createDirectories(logs);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        PodSandboxConfig sandbox = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(app.pod()).setNamespace(app.namespace()).setUid(uid))
                .putAllLabels(Map.of(KubeletLabels.NAMESPACE, app.namespace(), KubeletLabels.POD, app.pod(),
                        "io.kubernetes.pod.uid", uid, TestPods.RUN_LABEL, TestPods.RUN))
                .setLogDirectory(logs.toString())
                .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext.newBuilder()
                        .setNamespaceOptions(NamespaceOption.newBuilder().setNetwork(NamespaceMode.NODE))))
                .build();
        String sandboxId = cri().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(sandbox).build()).getPodSandboxId();
        LinuxContainerSecurityContext.Builder security = LinuxContainerSecurityContext.newBuilder()
                .setNamespaceOptions(NamespaceOption.newBuilder().setNetwork(NamespaceMode.NODE))
                .setReadonlyRootfs(app.readOnlyRootFs());
        if (app.user() != null) {
            String[] ids = app.user().split(":");
            security.setRunAsUser(Int64Value.newBuilder().setValue(Long.parseLong(ids[0])).build());
            if (ids.length > 1) {
                security.setRunAsGroup(Int64Value.newBuilder().setValue(Long.parseLong(ids[1])).build());
            }
        }
        ContainerConfig.Builder container = ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(app.container()))
                .setImage(ImageSpec.newBuilder().setImage(app.image() != null ? app.image() : jvmImage))
                .addAllCommand(app.command())
                .putAllLabels(Map.of(KubeletLabels.NAMESPACE, app.namespace(), KubeletLabels.POD, app.pod(),
                        KubeletLabels.CONTAINER, app.container(), "io.kubernetes.pod.uid", uid))
                .setLogPath(app.container() + ".log")
                .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(security));
        for (String env : TestImages.ENV) {
            int eq = env.indexOf('=');
            container.addEnvs(KeyValue.newBuilder().setKey(env.substring(0, eq)).setValue(com.google.protobuf.ByteString.copyFromUtf8(env.substring(eq + 1))));
        }
        if (app.tmpfsTmp()) {
            // As an emptyDir on /tmp: a writable host folder.
            Path tmp = dir.resolve("tmp-" + uid);
            try {
                Files.createDirectories(tmp);
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            container.addMounts(Mount.newBuilder().setContainerPath("/tmp").setHostPath(tmp.toString()));
        }
        String appId = cri().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(sandboxId)
                .setConfig(container).setSandboxConfig(sandbox).build()).getContainerId();
        cri().startContainer(StartContainerRequest.newBuilder().setContainerId(appId).build());
        return new Pod(app.namespace(), app.pod(), app.container(), appId, sandboxId, logs.resolve(app.container() + ".log"));
    }

    /** Starts the pod and waits until its log holds {@code ready} (Spinner prints it once all threads run). */
    public Pod startReady(TestPods.App app) {
        Pod pod = start(app);
        awaitLog(pod, "ready ", Duration.ofMinutes(2));
        return pod;
    }

    public void awaitLog(Pod pod, String text, Duration max) {
        long end = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < end) {
            if (log(pod).contains(text)) {
                return;
            }
            TestPods.sleep(100);
        }
        throw new AssertionError("no '" + text + "' in the log of " + pod.pod() + " within " + max + ": " + log(pod));
    }

    public String log(Pod pod) {
        try {
            return Files.exists(pod.log()) ? Files.readString(pod.log()) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** Stops the app container now (no grace). */
    public void stopContainer(Pod pod) {
        cri().stopContainer(StopContainerRequest.newBuilder().setContainerId(pod.appId()).setTimeout(0).build());
    }

    /** The app container's main process as the node sees it. */
    public long hostPid(Pod pod) {
        try (CriRuntime runtime = CriRuntime.connect(endpoint(), Duration.ofSeconds(10))) {
            return runtime.find(pod.namespace(), pod.pod(), pod.container()).orElseThrow().hostPid();
        }
    }

    /** Removes every pod this containerd runs (stops their containers). */
    public void removePods() {
        List<String> ids = new ArrayList<>();
        cri().listPodSandbox(ListPodSandboxRequest.newBuilder().build()).getItemsList().forEach(s -> ids.add(s.getId()));
        for (String id : ids) {
            cri().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build());
            cri().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build());
        }
    }

    /** Mounts containerd left below {@code root} (sandbox shm, task rootfs), deepest first. */
    private static void unmountBelow(Path root) {
        try {
            List<String> mounts = Files.readAllLines(Path.of("/proc/self/mounts")).stream().map(l -> l.split(" ")[1])
                    .filter(m -> m.startsWith(root + "/")).sorted(java.util.Comparator.reverseOrder()).toList();
            for (String m : mounts) {
                run(List.of("umount", "-l", m));
            }
        } catch (IOException e) {
            System.err.println("could not unmount below " + root + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Removes the pods, stops containerd, unmounts what it left and deletes its folders. */
    @Override
    public void close() {
        try {
            if (process != null) {
                removePods();
            }
        } catch (RuntimeException e) {
            System.err.println("could not remove the pods of the private containerd: " + e.getMessage());
        }
        stop();
        unmountBelow(run);
        unmountBelow(dir);
        for (Path p : List.of(dir, run)) {
            try {
                TestImages.deleteTree(p);
            } catch (IOException e) {
                System.err.println("could not delete " + p + ": " + e.getMessage());
            }
        }
    }
}
