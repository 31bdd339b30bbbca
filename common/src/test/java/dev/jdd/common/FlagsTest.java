package dev.jdd.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
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
        assertEquals(512L << 10, Flags.parseBytes("512k"));
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
        assertEquals("unknown option --slotz", assertThrows(ConfigException.class, f::rejectUnknown).getMessage());
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
}
