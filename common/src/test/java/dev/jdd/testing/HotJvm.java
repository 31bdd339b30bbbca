package dev.jdd.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A real child JVM running {@link Spinner}: one hot thread, some idle ones. Close it to kill it. */
public final class HotJvm implements AutoCloseable {
    private final Process process;
    private final long pid;

    private HotJvm(Process process, long pid) {
        this.process = process;
        this.pid = pid;
    }

    /** Starts {@link Spinner} on the given JDK (its home folder) and waits until it is ready. */
    public static HotJvm start(Path javaHome, int idleThreads, List<String> jvmOptions) throws IOException {
        return start(List.of(), javaHome, idleThreads, jvmOptions);
    }

    /**
     * As {@link #start(Path, int, List)}, with {@code launcher} put before the java command, for example
     * {@code setpriv --reuid=65534 --regid=65534 --clear-groups} to run the JVM as another user (the launcher
     * must exec java, so that the pid stays the JVM's).
     */
    public static HotJvm start(List<String> launcher, Path javaHome, int idleThreads, List<String> jvmOptions)
            throws IOException {
        return start(launcher, javaHome, Spinner.class, jvmOptions, List.of(Integer.toString(idleThreads)));
    }

    /**
     * As {@link #start(List, Path, int, List)} with another main class of this package that prints {@code ready <pid>},
     * and all its arguments (for {@link Spinner}: idle threads, hot threads, stack depth, names of further threads).
     */
    public static HotJvm start(List<String> launcher, Path javaHome, Class<?> main, List<String> jvmOptions, List<String> args)
            throws IOException {
        List<String> cmd = new ArrayList<>(launcher);
        cmd.add(javaHome.resolve("bin/java").toString());
        cmd.add("-Xmx64m");
        cmd.add("-XX:+UseSerialGC");
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add((launcher.isEmpty() ? classpath() : readableClasspath()).toString());
        cmd.add(main.getName());
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        while (line != null && line.contains(" VM warning: ")) {
            line = out.readLine();  // a deprecated option's warning comes first
        }
        if (line == null || !line.startsWith("ready ")) {
            p.destroyForcibly();
            throw new IOException(main.getSimpleName() + " did not start on " + javaHome + ": " + line);
        }
        return new HotJvm(p, Long.parseLong(line.substring(6).trim()));
    }

    /** On the JDK that runs the tests. */
    public static HotJvm start() throws IOException {
        return start(Jdks.current(), 3, List.of());
    }

    /** Where {@link Spinner}'s class lives: a folder or the common test-jar. */
    public static Path classpath() {
        try {
            return Path.of(Spinner.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A copy of {@link Spinner}'s class in a folder every user can read, for a JVM that runs as another user: the
     * build's own folders may sit in a private (mode 0700) home.
     */
    public static synchronized Path readableClasspath() throws IOException {
        Path root = Path.of(System.getProperty("java.io.tmpdir"), "jdd-spinner-" + ProcessHandle.current().pid());
        Path pkg = root.resolve(Spinner.class.getPackageName().replace('.', '/'));
        Files.createDirectories(pkg);
        String file = Spinner.class.getSimpleName() + ".class";
        try (var in = Spinner.class.getResourceAsStream(file)) {
            if (in == null) {
                throw new IOException("no " + file + " on the classpath");
            }
            Files.copy(in, pkg.resolve(file), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        List<Path> made = new ArrayList<>();
        for (Path p = pkg.resolve(file); p.startsWith(root); p = p.getParent()) {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString(
                    Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            made.add(0, p);
        }
        // deleteOnExit deletes in the reverse order of registration: the file first, the root last.
        made.forEach(p -> p.toFile().deleteOnExit());
        return root;
    }

    /** The native id of the thread called {@code name} in process {@code pid} (a HotJvm's, or one in a container). */
    public static long tidNamed(long pid, String name) throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                try {
                    if (Files.readString(task.resolve("comm")).strip().equals(name)) {
                        return Long.parseLong(task.getFileName().toString());
                    }
                } catch (IOException e) {
                    // that thread ended meanwhile (the JVM starts and ends compiler threads as it needs them)
                }
            }
        }
        throw new AssertionError("no thread " + name + " in " + pid);
    }

    public long pid() {
        return pid;
    }

    public Process process() {
        return process;
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
