package dev.jdd.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A role's {@code main} as the user meets it: run in a child JVM on this test's class path, and the flags its config
 * record reads, found in the record's source, to check {@code --help} against.
 */
public final class RoleMain {
    /** {@code flags.integer("threads", ...)} and helpers that take the flags first: {@code labelFlag(flags, "label-pod", ...)}. */
    private static final Pattern READ = Pattern.compile(
            "flags\\.(?:string|optional|bool|integer|duration|bytes|choice)\\(\\s*\"([a-z0-9-]+)\"|\\(flags,\\s*\"([a-z0-9-]+)\"");
    private static final Pattern LISTED = Pattern.compile("(?m)^  --([a-z0-9-]+)[= ]");

    /** What a finished child JVM printed and returned. */
    public record Run(int exitCode, String stdout, String stderr) {
        public List<String> stderrLines() {
            return stderr.lines().toList();
        }
    }

    private RoleMain() {
    }

    /** Runs {@code main} of that class with {@code args} and exactly {@code env} as its environment (plus PATH). */
    public static Run run(Class<?> main, Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Jdks.current().resolve("bin/java").toString(), "-cp",
                System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> !k.equals("PATH"));
        pb.environment().putAll(env);
        Path out = Files.createTempFile("jdd-main-", ".out");
        Path err = Files.createTempFile("jdd-main-", ".err");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError(main.getName() + " " + String.join(" ", args) + " did not end within 60 s:\n"
                        + Files.readString(err));
            }
            return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Every option name that a config record's source reads from its {@code Flags}. */
    public static Set<String> flagsReadIn(Path source) throws IOException {
        Set<String> names = new TreeSet<>();
        Matcher m = READ.matcher(Files.readString(source));
        while (m.find()) {
            names.add(m.group(1) != null ? m.group(1) : m.group(2));
        }
        return names;
    }

    /** The options a {@code --help} text lists, without {@code --help} itself; each must have its help line. */
    public static Set<String> listedIn(String help) {
        assertTrue(!help.contains("(no description)"), "every option needs its help line where it is read:\n" + help);
        Set<String> names = new TreeSet<>();
        Matcher m = LISTED.matcher(help);
        while (m.find()) {
            names.add(m.group(1));
        }
        names.remove("help");
        return names;
    }

    /** The help text of a role lists exactly the options its config record reads, each with a help line. */
    public static void assertHelpListsEveryOption(Path configSource, String help) throws IOException {
        Set<String> read = flagsReadIn(configSource);
        assertTrue(read.size() > 5, "no flags found in " + configSource + ": " + read);
        assertEquals(read, listedIn(help), "--help against the flags read in " + configSource);
    }
}
