package dev.jdd.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FlagsTest {

    @Test
    void flagWinsOverEnvironmentAndEnvironmentOverDefault() {
        Flags f = Flags.parse(new String[] {"--slots=7"}, Map.of("JDD_SLOTS", "3", "JDD_MAX_BODY", "2MiB"));
        assertEquals(7, f.integer("slots", 10, 1, 1000));
        assertEquals(2L << 20, f.bytes("max-body", 1 << 20, 1));
        assertEquals(100, f.integer("queue", 100, 0, 10000));
    }

    @Test
    void durationsAndSizes() {
        assertEquals(Duration.ofMillis(500), Flags.parseDuration("500ms"));
        assertEquals(Duration.ofMinutes(5), Flags.parseDuration("5m"));
        assertEquals(Duration.ofDays(7), Flags.parseDuration("7d"));
        assertEquals(null, Flags.parseDuration("5 minutes"));
        assertEquals(1L << 30, Flags.parseBytes("1GiB"));
        assertEquals(512L << 10, Flags.parseBytes("512KiB"));
        assertEquals(512L << 20, Flags.parseBytes("512Mi"));
        assertEquals(-1, Flags.parseBytes("lots"));
    }

    @Test
    void badValuesGiveOneClearLine() {
        Flags f = Flags.parse(new String[] {"--slots=ten", "--cooldown=5x", "--queue=-1"}, Map.of());
        ConfigException e = assertThrows(ConfigException.class, () -> f.integer("slots", 10, 1, 1000));
        assertEquals("--slots=ten: not a whole number", e.getMessage());
        assertThrows(ConfigException.class,
                () -> f.duration("cooldown", Duration.ZERO, Duration.ZERO, Duration.ofDays(1)));
        assertTrue(assertThrows(ConfigException.class, () -> f.integer("queue", 1, 0, 5)).getMessage()
                .contains("between 0 and 5"));
    }

    @Test
    void unknownAndMalformedFlagsAreRejected() {
        Flags f = Flags.parse(new String[] {"--slots=3", "--slotz=4"}, Map.of());
        f.integer("slots", 10, 1, 100);
        assertEquals("unknown option --slotz (--help lists them)", assertThrows(ConfigException.class, f::rejectUnknown).getMessage());
        assertThrows(ConfigException.class, () -> Flags.parse(new String[] {"slots=3"}, Map.of()));
        assertThrows(ConfigException.class, () -> Flags.parse(new String[] {"--a=1", "--a=2"}, Map.of()));
    }

    @Test
    void bareFlagIsTrue() {
        Flags f = Flags.parse(new String[] {"--insecure"}, Map.of("JDD_DRY", "no"));
        assertTrue(f.bool("insecure"));
        assertFalse(f.bool("dry"));
        assertFalse(f.bool("absent"));
        assertEquals("JDD_MAX_TARGETS", Flags.envName("max-targets"));
    }

    @Test
    void errorsNameTheFormTheUserGave() {
        Flags f = Flags.parse(new String[] {"--queue=many"}, Map.of("JDD_THREADS", "abc", "JDD_QUEUE", "7"));
        assertEquals("JDD_THREADS=abc: not a whole number",
                assertThrows(ConfigException.class, () -> f.integer("threads", 50, 1, 100, "t")).getMessage());
        assertEquals("--queue=many: not a whole number",
                assertThrows(ConfigException.class, () -> f.integer("queue", 1, 0, 5, "q")).getMessage());
        assertEquals("JDD_THREADS", f.form("threads"));
        assertEquals("--queue", f.form("queue"));
        assertEquals("--absent", f.form("absent"));
        Flags env = Flags.parse(new String[0], Map.of("JDD_RUNTIME", "podman"));
        assertEquals("JDD_RUNTIME=podman: expected docker or local",
                assertThrows(ConfigException.class, () -> env.choice("runtime", "docker", List.of("docker", "local"), "r"))
                        .getMessage());
    }

    @Test
    void sizesRefuseAmbiguousUnits() {
        for (String ambiguous : List.of("1MB", "1M", "1G", "1gb", "512k", "512KB", "1T")) {
            Flags f = Flags.parse(new String[] {"--max-body=" + ambiguous}, Map.of());
            ConfigException e = assertThrows(ConfigException.class, () -> f.bytes("max-body", 1, 1, "b"), ambiguous);
            assertEquals("--max-body=" + ambiguous + ": ambiguous unit (1000 or 1024?): use KiB, MiB or GiB", e.getMessage());
        }
        Flags f = Flags.parse(new String[] {"--a=1MiB", "--b=64KiB", "--c=2GiB", "--d=4096", "--e=lots"}, Map.of());
        assertEquals(1L << 20, f.bytes("a", 1, 1, "a"));
        assertEquals(64L << 10, f.bytes("b", 1, 1, "b"));
        assertEquals(2L << 30, f.bytes("c", 1, 1, "c"));
        assertEquals(4096, f.bytes("d", 1, 1, "d"));
        assertTrue(assertThrows(ConfigException.class, () -> f.bytes("e", 1, 1, "e")).getMessage()
                .startsWith("--e=lots: expected a size"));
    }

    @Test
    void helpListsEveryOptionReadWithItsVariableDefaultRangeAndLine() {
        String help = Flags.help("jdd test\nUsage: x", f -> {
            f.integer("threads", 50, 1, 10_000, "Busiest threads.");
            f.duration("interval", Duration.ofSeconds(2), Duration.ofMillis(100), Duration.ofMinutes(1), "Sampling interval.");
            f.bytes("max-body", 1 << 20, 1024, "Largest body.");
            f.bool("insecure", "No token.");
            f.choice("runtime", "docker", List.of("docker", "local"), "Runtime.");
            f.string("undocumented", "x");
            throw new ConfigException("no token");
        });
        assertTrue(help.startsWith("jdd test\nUsage: x\n"), help);
        assertTrue(help.contains("  --threads=N  (JDD_THREADS)\n      Busiest threads. [whole number 1..10000; default 50]\n"), help);
        assertTrue(help.contains("  --interval=DURATION  (JDD_INTERVAL)\n      Sampling interval. [duration 100ms..1m; default 2s]\n"), help);
        assertTrue(help.contains("  --max-body=SIZE  (JDD_MAX_BODY)\n      Largest body. [size, at least 1KiB; default 1MiB]\n"), help);
        assertTrue(help.contains("  --insecure  (JDD_INSECURE)\n      No token.\n"), help);
        assertTrue(help.contains("  --runtime=docker|local  (JDD_RUNTIME)\n      Runtime. [default docker]\n"), help);
        assertTrue(help.contains("  --undocumented=TEXT  (JDD_UNDOCUMENTED)\n      (no description) [default x]\n"), help);
    }

    @Test
    void helpIsAFlagOfItsOwn() {
        assertTrue(Flags.parse(new String[] {"--help"}, Map.of()).helpRequested());
        assertTrue(Flags.parse(new String[] {"--port=1", "-h"}, Map.of()).helpRequested());
        assertFalse(Flags.parse(new String[] {"--port=1"}, Map.of("JDD_HELP", "true")).helpRequested());
    }
}
