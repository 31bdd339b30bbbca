package dev.jdd.agent.local;

import dev.jdd.agent.runtime.ContainerRuntime;
import dev.jdd.agent.runtime.CopyRefusedException;
import dev.jdd.agent.runtime.CappedOutput;
import dev.jdd.agent.runtime.ExecResult;
import dev.jdd.agent.runtime.ProcessTree;
import dev.jdd.agent.runtime.RuntimeUnavailableException;
import dev.jdd.agent.runtime.Target;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The host itself as the node ({@code --runtime=local}): a "container" is a JVM process on the host, named by the
 * simple name of its main class or its jar's file name without {@code .jar} (lower case), or {@code pid-N}. The
 * script is copied into a fresh temporary folder on the host and runs as a child process of the agent; on timeout or
 * interrupt the whole process tree is ended. Linux only (reads {@code /proc}).
 */
public final class LocalRuntime implements ContainerRuntime {
    private static final Logger LOG = Logger.getLogger(LocalRuntime.class.getName());
    private static final Duration TERM_GRACE = Duration.ofSeconds(2);
    private static final int NAMES_SHOWN = 10;
    private static final Pattern LEFTOVER = Pattern.compile("jdd-(\\d{1,10})-\\d+");
    /** Launcher options whose value is the next argument. */
    private static final Set<String> TAKES_VALUE = Set.of("-cp", "-classpath", "--class-path", "-p", "--module-path",
            "--upgrade-module-path", "--add-modules", "--limit-modules", "--add-reads", "--add-exports", "--add-opens",
            "--patch-module", "--enable-native-access", "--source");

    private final Path proc;
    private final Path tempBase;

    /** The host's /proc and temporary folder; removes the folders an agent killed earlier left there. */
    public LocalRuntime() {
        this(Path.of("/proc"), Path.of(System.getProperty("java.io.tmpdir")));
        removeLeftovers();
    }

    LocalRuntime(Path proc, Path tempBase) {
        this.proc = proc;
        this.tempBase = tempBase;
    }

    @Override
    public String name() {
        return "local";
    }

    @Override
    public Optional<Target> find(String namespace, String pod, String container) {
        if (container.startsWith("pid-")) {
            long pid;
            try {
                pid = Long.parseLong(container.substring(4));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(p -> new Target("pid-" + pid, container + " (pid " + pid + ")", pid));
        }
        long self = ProcessHandle.current().pid();
        // Several JVMs with the same name: the one started first, so that the choice is stable.
        return ProcessHandle.allProcesses()
                .filter(p -> p.pid() != self)
                .filter(p -> jvmName(p.pid()).filter(container::equals).isPresent())
                .min(Comparator.comparing((ProcessHandle p) -> p.info().startInstant().orElse(java.time.Instant.MAX))
                        .thenComparingLong(ProcessHandle::pid))
                .map(p -> new Target("pid-" + p.pid(), container + " (pid " + p.pid() + ")", p.pid()));
    }

    /** Names the JVMs this host runs (at most {@value #NAMES_SHOWN}), so that a wrong container label shows at once. */
    @Override
    public String notFound(String namespace, String pod, String container) {
        if (container.startsWith("pid-")) {
            return "no process " + container.substring(4) + " on this host (local runtime: pid-N names process N)";
        }
        long self = ProcessHandle.current().pid();
        List<String> seen = ProcessHandle.allProcesses()
                .filter(p -> p.pid() != self)
                .flatMap(p -> jvmName(p.pid()).map(name -> name + " (pid " + p.pid() + ")").stream())
                .toList();
        String listed = seen.isEmpty() ? "none"
                : String.join(", ", seen.subList(0, Math.min(NAMES_SHOWN, seen.size())))
                        + (seen.size() > NAMES_SHOWN ? " and " + (seen.size() - NAMES_SHOWN) + " more" : "");
        return "no JVM named " + container + " on this host (local runtime: the main class's simple name or the jar's"
                + " file name without .jar, in lower case, or pid-N); JVMs seen: " + listed;
    }

    /** The name a host JVM answers to, from its command line; empty when it is not a JVM or is gone. */
    Optional<String> jvmName(long pid) {
        byte[] raw;
        try {
            raw = Files.readAllBytes(proc.resolve(Long.toString(pid)).resolve("cmdline"));
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
        List<String> argv = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == 0) {
                argv.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start < raw.length) {
            argv.add(new String(raw, start, raw.length - start, StandardCharsets.UTF_8));
        }
        return jvmName(argv);
    }

    /** The simple name of the main class, or the jar's file name without {@code .jar}, in lower case. */
    static Optional<String> jvmName(List<String> argv) {
        if (argv.isEmpty() || !Path.of(argv.get(0).isEmpty() ? "?" : argv.get(0)).getFileName().toString().equals("java")) {
            return Optional.empty();
        }
        for (int i = 1; i < argv.size(); i++) {
            String arg = argv.get(i);
            if (arg.equals("-jar") && i + 1 < argv.size()) {
                String jar = Path.of(argv.get(i + 1)).getFileName().toString();
                return Optional.of(lower(jar.endsWith(".jar") ? jar.substring(0, jar.length() - 4) : jar));
            }
            if ((arg.equals("-m") || arg.equals("--module")) && i + 1 < argv.size()) {
                return Optional.of(simpleName(moduleMain(argv.get(i + 1))));
            }
            if (arg.startsWith("--module=")) {
                return Optional.of(simpleName(moduleMain(arg.substring(9))));
            }
            if (TAKES_VALUE.contains(arg)) {
                i++;
            } else if (!arg.startsWith("-") && !arg.startsWith("@")) {
                if (arg.endsWith(".java")) {
                    // source-file mode: java path/to/Hello.java
                    String file = Path.of(arg).getFileName().toString();
                    return Optional.of(lower(file.substring(0, file.length() - 5)));
                }
                return Optional.of(simpleName(arg));
            }
        }
        return Optional.empty();
    }

    private static String moduleMain(String spec) {
        int slash = spec.indexOf('/');
        return slash < 0 ? spec : spec.substring(slash + 1);
    }

    private static String simpleName(String className) {
        return lower(className.substring(className.lastIndexOf('.') + 1));
    }

    private static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    @Override
    public String copy(Target target, Map<String, byte[]> files) {
        Path folder;
        try {
            // The agent's pid in the name: a later agent can tell the folders of a dead one from a living one's.
            folder = Files.createTempDirectory(tempBase, "jdd-" + ProcessHandle.current().pid() + "-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException | UnsupportedOperationException e) {
            throw new CopyRefusedException("cannot create a temporary folder in " + tempBase + ": " + e.getMessage(), e);
        }
        try {
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                Path path = folder.resolve(file.getKey());
                Files.write(path, file.getValue());
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwx------"));
            }
        } catch (IOException e) {
            removeFolder(target, folder.toString());
            throw new CopyRefusedException("cannot write into " + folder + ": " + e.getMessage(), e);
        }
        return folder.toString();
    }

    @Override
    public ExecResult exec(Target target, List<String> command, byte[] stdin, Duration timeout) throws InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new RuntimeUnavailableException("cannot start " + command.get(0) + ": " + e.getMessage(), e);
        }
        Collector out = new Collector(process.getInputStream());
        Collector err = new Collector(process.getErrorStream());
        Thread feeder = Thread.ofVirtual().start(() -> feed(process.getOutputStream(), stdin));
        boolean done;
        try {
            done = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            ProcessTree.end(process, TERM_GRACE);
            feeder.interrupt();
            throw e;
        }
        String endFailure = done ? null : ProcessTree.end(process, TERM_GRACE);
        // The tree is gone, so the pipes close and the readers finish; bounded anyway.
        out.join(Duration.ofSeconds(5));
        err.join(Duration.ofSeconds(5));
        return new ExecResult(done ? process.exitValue() : -1, out.bytes(), err.bytes(), !done, endFailure, out.cut());
    }

    private static void feed(OutputStream stdin, byte[] bytes) {
        try (stdin) {
            if (bytes != null) {
                stdin.write(bytes);
            }
        } catch (IOException e) {
            // the script ended before reading all of it: its exit code tells
        }
    }

    @Override
    public OptionalLong scriptPid(Target target) {
        return OptionalLong.of(target.hostPid());
    }

    @Override
    public boolean removeFolder(Target target, String folder) {
        Path path = Path.of(folder);
        if (!path.startsWith(tempBase) || !path.getFileName().toString().startsWith("jdd-")) {
            LOG.warning("not removing " + folder + ": not a folder this runtime made");
            return true;
        }
        return deleteTree(path, target.name());
    }

    /**
     * Removes the folders ({@code jdd-<pid>-<n>}) that agents which are gone left in the temporary folder: an agent
     * killed mid-capture cannot remove its copy of craw.sh. Folders of a living agent stay. Returns how many went.
     */
    int removeLeftovers() {
        long self = ProcessHandle.current().pid();
        int removed = 0;
        try (Stream<Path> entries = Files.list(tempBase)) {
            for (Path p : entries.toList()) {
                Matcher m = LEFTOVER.matcher(p.getFileName().toString());
                if (!m.matches() || !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                long pid = Long.parseLong(m.group(1));
                if (pid != self && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                if (pid != self) {
                    LOG.info("removing " + p + ", left by agent process " + pid + " which is gone");
                    deleteTree(p, "left by pid " + pid);
                    removed++;
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warning("cannot look for folders left in " + tempBase + ": " + e);
        }
        return removed;
    }

    /** Whether nothing of {@code path} is left. */
    private static boolean deleteTree(Path path, String what) {
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
            return true;
        } catch (NoSuchFileException e) {
            return true;
        } catch (IOException | UncheckedIOException e) {
            LOG.warning("cannot remove " + path + " (" + what + "): " + e);
            return false;
        }
    }

    /** Reads one stream to its end on a virtual thread, keeping what {@link CappedOutput} keeps. */
    private static final class Collector {
        private final CappedOutput output = new CappedOutput(CappedOutput.DEFAULT_CAP);
        private final Thread thread;

        Collector(InputStream in) {
            thread = Thread.ofVirtual().start(() -> {
                byte[] chunk = new byte[8192];
                try (in) {
                    int n;
                    while ((n = in.read(chunk)) >= 0) {
                        output.append(chunk, 0, n);
                    }
                } catch (IOException e) {
                    // stream closed: keep what was read
                }
            });
        }

        void join(Duration timeout) throws InterruptedException {
            thread.join(timeout);
        }

        byte[] bytes() {
            return output.bytes();
        }

        boolean cut() {
            return output.dropped() > 0;
        }
    }
}
