package dev.jdd.agent.craw;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs craw.sh the way the agent does: copied into a fresh folder, started with a plain POSIX shell. */
final class CrawScript {
    /** Busybox applets craw.sh may use; a PATH of only these is what an Alpine-like container offers. */
    private static final List<String> BUSYBOX_APPLETS = List.of(
            "sh", "cat", "sort", "head", "tail", "sleep", "grep", "readlink", "ls", "rm", "mkdir", "ln", "chmod", "chown",
            "id", "sed");

    private CrawScript() {
    }

    /** A shell the script must run under, with the PATH it gets there. */
    enum Shell {
        DASH, BUSYBOX;

        List<String> command() {
            return switch (this) {
                case DASH -> List.of(executable("dash", "/usr/bin/dash", "/bin/dash").toString());
                case BUSYBOX -> List.of(busybox().toString(), "sh");
            };
        }

        /** dash gets the usual PATH; busybox gets only busybox applets, like a minimal image. */
        String path(Path scratch) {
            return switch (this) {
                case DASH -> "/usr/local/bin:/usr/bin:/bin";
                case BUSYBOX -> busyboxBin(scratch).toString();
            };
        }
    }

    static Path busybox() {
        return executable("busybox", "/bin/busybox", "/usr/bin/busybox");
    }

    private static Path executable(String name, String... places) {
        for (String place : places) {
            Path p = Path.of(place);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        fail(name + " is not installed (CI installs it: apt-get install " + name + ")");
        return null;
    }

    /** A folder of busybox applet links, made once per scratch folder. */
    static Path busyboxBin(Path scratch) {
        Path bin = scratch.resolve("busybox-bin");
        try {
            if (!Files.isDirectory(bin)) {
                Files.createDirectories(bin);
                // A copy with hard links: busybox picks the applet from its name.
                Path copy = Files.copy(busybox(), bin.resolve("busybox"));
                for (String applet : BUSYBOX_APPLETS) {
                    Files.createLink(bin.resolve(applet), copy);
                }
                worldReadable(bin);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bin;
    }

    /** The script text as the agent ships it (from the agent's classpath). */
    static String text() {
        try (InputStream in = CrawScript.class.getResourceAsStream("/dev/jdd/agent/craw.sh")) {
            if (in == null) {
                throw new IllegalStateException("dev/jdd/agent/craw.sh is not on the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies the script into {@code folder} (created, readable by everyone) and returns its path. */
    static Path copyInto(Path folder) throws IOException {
        Files.createDirectories(folder);
        Path script = folder.resolve("craw.sh");
        Files.writeString(script, text());
        worldReadable(folder);
        return script;
    }

    static void worldReadable(Path path) throws IOException {
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(
                Files.isDirectory(path) ? "rwxr-xr-x" : "rw-r--r--"));
    }

    /** What one run printed and returned. */
    record Result(int exit, String out, String err, Duration took) {
        List<String> errLines() {
            return err.isBlank() ? List.of() : List.of(err.strip().split("\n"));
        }

        @Override
        public String toString() {
            return "exit " + exit + " after " + took.toMillis() + " ms\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /** A run in preparation: command, environment, stdin. */
    static final class Run {
        private final List<String> command = new ArrayList<>();
        private final Map<String, String> env = new HashMap<>();
        private final List<String> unset = new ArrayList<>();
        private Path stdin;
        private Path workDir;

        Run(List<String> command) {
            this.command.addAll(command);
        }

        Run env(String name, String value) {
            env.put(name, value);
            return this;
        }

        Run without(String name) {
            unset.add(name);
            return this;
        }

        Run stdin(Path file) {
            this.stdin = file;
            return this;
        }

        Run in(Path dir) {
            this.workDir = dir;
            return this;
        }

        Process start(Path outFile, Path errFile) throws IOException {
            ProcessBuilder pb = new ProcessBuilder(command);
            unset.forEach(pb.environment()::remove);
            pb.environment().putAll(env);
            pb.redirectOutput(outFile.toFile()).redirectError(errFile.toFile());
            pb.redirectInput(stdin == null ? ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())
                    : ProcessBuilder.Redirect.from(stdin.toFile()));
            if (workDir != null) {
                pb.directory(workDir.toFile());
            }
            return pb.start();
        }

        /** Runs to the end (at most {@code limit}) with stdout and stderr kept in {@code scratch}. */
        Result run(Path scratch, Duration limit) throws IOException, InterruptedException {
            Path out = Files.createTempFile(scratch, "out", ".txt");
            Path err = Files.createTempFile(scratch, "err", ".txt");
            long start = System.nanoTime();
            Process p = start(out, err);
            if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                fail("still running after " + limit + ": " + command + "\n" + Files.readString(err));
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err), took);
        }
    }

    /** Is this test JVM running as root (needed to switch users and to make namespaces)? */
    static boolean root() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[1].equals("0");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    static void signal(long pid, String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill -" + signal + " " + pid + " failed");
        }
    }
}
