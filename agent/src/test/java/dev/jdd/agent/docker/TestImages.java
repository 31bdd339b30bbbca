package dev.jdd.agent.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.jdd.testing.HotJvm;
import dev.jdd.testing.Jdks;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Test images built from local files only (no registry): a jlinked runtime of the JDK running the tests, the
 * host libraries it links against, busybox-static with its applets, and {@code dev.jdd.testing.Spinner}
 * under {@code /app}. Imported with the engine's import API and tagged by a hash of their inputs, so each is
 * built once per engine and machine. The images are shared on purpose (other tests reuse them); containers
 * are not (see {@link TestPods}).
 *
 * <p>Layout: {@code /opt/java} (the runtime), {@code /app} (Spinner classes), {@code /bin/busybox} and
 * symlinks ({@code /bin/sh}, ...), {@code /etc/passwd} with {@code root} and {@code app} (1000:1000),
 * {@code /tmp} (1777). Use {@link #ENV} for the containers' environment.
 */
public final class TestImages {
    /** Bump when the layout changes, so that cached images are rebuilt. */
    private static final int LAYOUT = 1;
    private static final Path BUSYBOX = Path.of("/bin/busybox");

    /** PATH and JAVA_HOME for containers of a JVM image. */
    public static final List<String> ENV = List.of("PATH=/opt/java/bin:/bin", "JAVA_HOME=/opt/java");

    /** What goes into a JVM image; {@link #JDK} is what craw.sh needs, {@link #jreOnly()} a production-like JRE. */
    public record Spec(List<String> modules, boolean busybox) {
        public static final Spec JDK = new Spec(List.of("java.base", "jdk.jcmd", "jdk.attach"), true);

        /** No jcmd, no attach module, no shell at all: what many production images look like. */
        public static Spec jreOnly() {
            return new Spec(List.of("java.base"), false);
        }

        /** As {@link #jreOnly()}, with the Flight Recorder ({@code jdk.jfr}): what a JFR profile needs of a JRE. */
        public static Spec jreWithJfr() {
            return new Spec(List.of("java.base", "jdk.jfr"), false);
        }

        /** As {@link #JDK}, with the Flight Recorder: craw.sh's jcmd dumps the threads and JFR records a profile. */
        public static Spec jdkWithJfr() {
            return new Spec(List.of("java.base", "jdk.jcmd", "jdk.attach", "jdk.jfr"), true);
        }

        /** A JRE with a shell (busybox) but no jcmd, jstack or attach module: craw.sh runs and finds no dump tool. */
        public static Spec jreWithShell() {
            return new Spec(List.of("java.base"), true);
        }
    }

    private static final Map<String, String> BUILT = new ConcurrentHashMap<>();

    private TestImages() {
    }

    /** The JDK image (jcmd, attach, busybox). */
    public static String jvm(DockerClient docker, URI host) {
        return jvm(docker, host, Spec.JDK);
    }

    /** Builds (once) and returns the tag of a JVM image with these contents. */
    public static synchronized String jvm(DockerClient docker, URI host, Spec spec) {
        String tag = "jdd-test-jvm:" + hash("jvm", spec.toString(), jdkIdentity(), busyboxHash(spec.busybox()), spinnerHash());
        return ensure(docker, host, tag, () -> writeJvmImage(spec));
    }

    /** A minimal sandbox ("pause") image: busybox only; run it with {@code sleep}. */
    public static synchronized String pause(DockerClient docker, URI host) {
        String tag = "jdd-test-pause:" + hash("pause", busyboxHash(true));
        return ensure(docker, host, tag, () -> {
            Tar tar = new Tar();
            addBaseFolders(tar);
            addBusybox(tar);
            return tar;
        });
    }

    private interface Contents {
        Tar build() throws IOException, InterruptedException;
    }

    private static String ensure(DockerClient docker, URI host, String tag, Contents contents) {
        String engineKey = host + "/" + tag;
        if (BUILT.containsKey(engineKey) || exists(docker, tag)) {
            BUILT.put(engineKey, tag);
            return tag;
        }
        try {
            Tar tar = contents.build();
            Path file = tar.finish();
            try {
                importImage(host, file, tag);
            } finally {
                if (System.getProperty("jdd.keepTar") == null) {
                    Files.deleteIfExists(file);
                } else {
                    System.err.println("kept " + file);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("building test image " + tag, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while building " + tag, e);
        }
        if (!exists(docker, tag)) {
            throw new IllegalStateException("imported " + tag + " but the engine does not list it");
        }
        BUILT.put(engineKey, tag);
        return tag;
    }

    /**
     * {@code docker import}: the engine's {@code POST /images/create?fromSrc=-} with the tar as body. Done over the
     * socket directly because docker-java's zerodep transport cuts long request bodies short there.
     */
    private static void importImage(URI host, Path tar, String tag) throws IOException {
        if (!"unix".equals(host.getScheme())) {
            throw new IOException("test images import only over a unix socket, not " + host);
        }
        String repository = tag.substring(0, tag.indexOf(':'));
        String version = tag.substring(tag.indexOf(':') + 1);
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(Path.of(host.getPath())))) {
            String head = "POST /images/create?fromSrc=-&repo=" + repository + "&tag=" + version + " HTTP/1.0\r\n"
                    + "Host: docker\r\nContent-Type: application/x-tar\r\nContent-Length: " + Files.size(tar) + "\r\n\r\n";
            ch.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
            try (FileChannel file = FileChannel.open(tar)) {
                long sent = 0;
                long size = file.size();
                while (sent < size) {
                    sent += file.transferTo(sent, size - sent, ch);
                }
            }
            String answer = new String(Channels.newInputStream(ch).readAllBytes(), StandardCharsets.UTF_8);
            if (!answer.startsWith("HTTP/1.") || !answer.contains(" 200 ") || answer.contains("\"error")) {
                throw new IOException("importing " + tag + " failed: " + answer);
            }
        }
    }

    private static boolean exists(DockerClient docker, String tag) {
        try {
            docker.inspectImageCmd(tag).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    private static Tar writeJvmImage(Spec spec) throws IOException, InterruptedException {
        Path work = Files.createTempDirectory("jdd-test-image");
        try {
            Path runtime = work.resolve("java");
            run(List.of(Jdks.current().resolve("bin/jlink").toString(), "--add-modules", String.join(",", spec.modules()),
                    "--strip-debug", "--no-header-files", "--no-man-pages", "--output", runtime.toString()));
            Tar tar = new Tar();
            addBaseFolders(tar);
            tar.folder("opt", 0755);
            tar.tree(runtime, "opt/java");
            for (Path lib : sharedLibraries(runtime)) {
                tar.parents(lib.toString().substring(1));
                tar.file(lib.toString().substring(1), Files.readAllBytes(lib.toRealPath()), 0755);
            }
            if (spec.busybox()) {
                addBusybox(tar);
            }
            tar.folder("app", 0755);
            for (Map.Entry<String, byte[]> c : spinnerClasses().entrySet()) {
                tar.parents("app/" + c.getKey());
                tar.file("app/" + c.getKey(), c.getValue(), 0644);
            }
            return tar;
        } finally {
            deleteTree(work);
        }
    }

    private static void addBaseFolders(Tar tar) throws IOException {
        for (String dir : List.of("proc", "sys", "dev", "etc", "root", "home")) {
            tar.folder(dir, 0755);
        }
        tar.folder("tmp", 01777);
        tar.owned("home/app", 0755, 1000);
        tar.file("etc/passwd", ("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n")
                .getBytes(StandardCharsets.US_ASCII), 0644);
        tar.file("etc/group", "root:x:0:\napp:x:1000:\n".getBytes(StandardCharsets.US_ASCII), 0644);
    }

    private static void addBusybox(Tar tar) throws IOException, InterruptedException {
        if (!Files.isExecutable(BUSYBOX)) {
            throw new IllegalStateException(BUSYBOX + " is missing: install busybox-static");
        }
        tar.folder("bin", 0755);
        tar.file("bin/busybox", Files.readAllBytes(BUSYBOX), 0755);
        for (String applet : run(List.of(BUSYBOX.toString(), "--list")).split("\\s+")) {
            if (!applet.isBlank() && !applet.equals("busybox")) {
                tar.symlink("bin/" + applet, "busybox");
            }
        }
    }

    /** Every host library that the runtime's executables and libraries link against, as {@code ldd} names them. */
    private static TreeSet<Path> sharedLibraries(Path runtime) throws IOException, InterruptedException {
        TreeSet<Path> libs = new TreeSet<>();
        List<Path> elves;
        try (Stream<Path> files = Files.walk(runtime)) {
            elves = files.filter(Files::isRegularFile).filter(TestImages::isElf).toList();
        }
        for (Path elf : elves) {
            for (String line : run(List.of("ldd", elf.toString())).split("\n")) {
                String l = line.strip();
                String path = l.contains("=>") ? l.substring(l.indexOf("=>") + 2).strip().split("\\s+")[0] : l.split("\\s+")[0];
                if (path.startsWith("/") && !path.startsWith(runtime.toString()) && Files.exists(Path.of(path))) {
                    libs.add(Path.of(path));
                }
            }
        }
        return libs;
    }

    private static boolean isElf(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code dev/jdd/testing/Spinner*.class} from the common test-jar or its classes folder. */
    static Map<String, byte[]> spinnerClasses() throws IOException {
        Map<String, byte[]> classes = new TreeMap<>();
        Path where = HotJvm.classpath();
        if (Files.isDirectory(where)) {
            try (Stream<Path> files = Files.list(where.resolve("dev/jdd/testing"))) {
                for (Path f : files.filter(f -> f.getFileName().toString().matches("(Split)?Spinner(\\$.*)?\\.class")).toList()) {
                    classes.put("dev/jdd/testing/" + f.getFileName(), Files.readAllBytes(f));
                }
            }
        } else {
            try (JarFile jar = new JarFile(where.toFile())) {
                for (var entry : jar.stream().filter(e -> e.getName().matches("dev/jdd/testing/(Split)?Spinner(\\$.*)?\\.class")).toList()) {
                    try (InputStream in = jar.getInputStream(entry)) {
                        classes.put(entry.getName(), in.readAllBytes());
                    }
                }
            }
        }
        if (classes.isEmpty()) {
            throw new IllegalStateException("no Spinner classes in " + where);
        }
        return classes;
    }

    private static String jdkIdentity() {
        try {
            return Jdks.current() + "\n" + Files.readString(Jdks.current().resolve("release"));
        } catch (IOException e) {
            return Jdks.current().toString();
        }
    }

    private static String busyboxHash(boolean wanted) {
        try {
            return wanted ? hash(HexFormat.of().formatHex(Files.readAllBytes(BUSYBOX))) : "none";
        } catch (IOException e) {
            throw new IllegalStateException(BUSYBOX + " is missing: install busybox-static", e);
        }
    }

    private static String spinnerHash() {
        try {
            StringBuilder all = new StringBuilder();
            spinnerClasses().forEach((name, bytes) -> all.append(name).append(HexFormat.of().formatHex(bytes)));
            return hash(all.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String hash(String... parts) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(Integer.toString(LAYOUT).getBytes(StandardCharsets.UTF_8));
            for (String p : parts) {
                sha.update((byte) 0);
                sha.update(p.getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException(command + " failed: " + new String(out, StandardCharsets.UTF_8));
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** A tar written to a temporary file; folders are added once. */
    private static final class Tar {
        private final Path file;
        private final TarArchiveOutputStream out;
        private final TreeSet<String> folders = new TreeSet<>();

        Tar() throws IOException {
            file = Files.createTempFile("jdd-test-image", ".tar");
            OutputStream raw = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
            out = new TarArchiveOutputStream(raw);
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        }

        void folder(String name, int mode) throws IOException {
            owned(name, mode, 0);
        }

        void owned(String name, int mode, int uid) throws IOException {
            if (folders.add(name)) {
                TarArchiveEntry e = new TarArchiveEntry(name + "/");
                e.setMode(040000 | mode);
                e.setIds(uid, uid);
                out.putArchiveEntry(e);
                out.closeArchiveEntry();
            }
        }

        /** Adds the folders above {@code name}. */
        void parents(String name) throws IOException {
            List<String> above = new ArrayList<>();
            for (Path p = Path.of(name).getParent(); p != null; p = p.getParent()) {
                above.add(0, p.toString());
            }
            for (String dir : above) {
                folder(dir, 0755);
            }
        }

        void file(String name, byte[] content, int mode) throws IOException {
            TarArchiveEntry e = new TarArchiveEntry(name);
            e.setMode(0100000 | mode);
            e.setSize(content.length);
            out.putArchiveEntry(e);
            out.write(content);
            out.closeArchiveEntry();
        }

        void symlink(String name, String target) throws IOException {
            TarArchiveEntry e = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
            e.setLinkName(target);
            e.setMode(0120777);
            out.putArchiveEntry(e);
            out.closeArchiveEntry();
        }

        /** Copies a folder tree (files keep their executable bit; symlinks are followed). */
        void tree(Path from, String to) throws IOException {
            folder(to, 0755);
            try (Stream<Path> all = Files.walk(from)) {
                for (Path p : all.sorted().toList()) {
                    if (p.equals(from)) {
                        continue;
                    }
                    String name = to + "/" + from.relativize(p);
                    if (Files.isDirectory(p)) {
                        folder(name, 0755);
                    } else {
                        file(name, Files.readAllBytes(p), Files.isExecutable(p) ? 0755 : 0644);
                    }
                }
            }
        }

        Path finish() throws IOException {
            out.finish();
            out.close();
            return file;
        }
    }
}
