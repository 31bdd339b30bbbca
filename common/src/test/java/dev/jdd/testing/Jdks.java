package dev.jdd.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/** The JDKs on this machine: the one running the tests, and others by feature version under /usr/lib/jvm. */
public final class Jdks {
    private Jdks() {
    }

    /** Home of the JDK running this test JVM (21+ through the toolchain). */
    public static Path current() {
        return Path.of(System.getProperty("java.home"));
    }

    /** A JDK home of exactly this feature version (with jcmd), if one is installed. */
    public static Optional<Path> find(int feature) {
        Path root = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> homes = Files.list(root)) {
            return homes.filter(h -> Files.isExecutable(h.resolve("bin/jcmd")))
                    .filter(h -> feature(h) == feature)
                    .sorted()
                    .findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** A JDK home of exactly this feature version; the test is skipped (not failed) where none is installed. */
    public static Path require(int feature) {
        Optional<Path> home = find(feature);
        assumeTrue(home.isPresent(), "no JDK " + feature + " with jcmd under /usr/lib/jvm");
        return home.get();
    }

    /** The feature version from the home's {@code release} file, or -1. */
    public static int feature(Path home) {
        try {
            for (String line : Files.readAllLines(home.resolve("release"))) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String v = line.substring(13).replace("\"", "");
                    String first = v.split("[._+-]")[0];
                    return Integer.parseInt(first.equals("1") ? v.split("\\.")[1] : first);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
