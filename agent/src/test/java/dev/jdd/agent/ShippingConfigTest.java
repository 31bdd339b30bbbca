package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log shipper configs in README, "Shipping the dumps", against a dump that {@link DumpStore} really wrote: the file
 * globs take the finished file and leave its temporary name, the multiline start rule keeps the whole file one record,
 * and the path regexes give namespace, pod, container and capture id.
 */
class ShippingConfigTest {
    private static final String ID = "0123456789abcdef";

    @TempDir
    Path root;

    private record Dump(String path, String temporaryPath, List<String> lines) {
    }

    /** A real dump, with its path as the shippers see it under /var/log/jdd. */
    private Dump dump() throws IOException {
        Instant start = Instant.parse("2026-11-27T10:15:00Z");
        DumpStore store = new DumpStore(root, "node-1", 1L << 30, Duration.ofDays(7), new MutableClock(start));
        store.open();
        Path file = store.write(new Capture(ID, "shop", "checkout-7d9f8", "app", "HighCpu", "97.5", start),
                new CaptureResult(CaptureResult.OK, "abc123", "jcmd", 0, start.plusSeconds(3),
                        "# jdd-capture: 1\n#\n#1 cpu=99.7% tid=42 \"pricing-loop\" RUNNABLE\n   at a.B.c(B.java:1)\n"
                                .getBytes(StandardCharsets.UTF_8), new byte[0], null));
        String relative = root.relativize(file).toString();
        String name = file.getFileName().toString();
        String temporary = root.relativize(file.resolveSibling("." + name + ".tmp")).toString();
        return new Dump("/var/log/jdd/" + relative, "/var/log/jdd/" + temporary, Files.readAllLines(file));
    }

    private static String readme() throws IOException {
        return Files.readString(Path.of("../README.md"));
    }

    /** The fenced block of README that starts with {@code opening} (the fence line and the block's first line). */
    private static String block(String readme, String opening) {
        int start = readme.indexOf(opening);
        assertTrue(start >= 0, "README has no block starting with " + opening);
        return readme.substring(start, readme.indexOf("\n```", start + opening.length()));
    }

    private static List<String> values(String block, String keyPattern) {
        Matcher m = Pattern.compile("(?m)^\\s*(?:- )?" + keyPattern + "\\s*[:=]?\\s+'?(.+?)'?$").matcher(block);
        List<String> values = new ArrayList<>();
        while (m.find()) {
            values.add(m.group(1).strip());
        }
        assertFalse(values.isEmpty(), keyPattern + " not found in:\n" + block);
        return values;
    }

    private static PathMatcher glob(String pattern) {
        return FileSystems.getDefault().getPathMatcher("glob:" + pattern);
    }

    /** Fluent Bit's Exclude_Path is fnmatch(3) without FNM_PATHNAME on the whole path: {@code *} matches {@code /} too. */
    private static boolean fnmatch(String pattern, String path) {
        StringBuilder regex = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            regex.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
        }
        return path.matches(regex.toString());
    }

    private static void assertFields(String regex, String path) {
        // RE2 and Rust write (?P<name>; Java group names have no underscore
        Matcher m = Pattern.compile(regex.replace("(?P<", "(?<").replace("capture_id", "captureid")).matcher(path);
        assertTrue(m.matches(), regex + " does not match " + path);
        assertEquals("shop", m.group("namespace"));
        assertEquals("checkout-7d9f8", m.group("pod"));
        assertEquals("app", m.group("container"));
        assertEquals(ID, m.group("captureid"));
    }

    /** Every line matches exactly one rule: the first line starts the record, no other line starts another. */
    private static void assertOneRecord(Dump dump, String startRule) {
        Pattern start = Pattern.compile(startRule);
        assertTrue(start.matcher(dump.lines().getFirst()).find(), dump.lines().getFirst());
        for (String line : dump.lines().subList(1, dump.lines().size())) {
            assertFalse(start.matcher(line).find(), "a second record would start at: " + line);
        }
    }

    @Test
    void fluentBitYamlAndClassicTakeTheFinishedFileAsOneRecordAndLeaveTheTemporaryName() throws IOException {
        Dump dump = dump();
        String readme = readme();
        String yaml = block(readme, "```yaml\nmultiline_parsers:");
        String classic = block(readme, "```ini\n[SERVICE]");
        String parsers = block(readme, "```ini\n[MULTILINE_PARSER]");
        for (String[] keys : new String[][] {{yaml, "path", "exclude_path"}, {classic, "Path", "Exclude_Path"}}) {
            String include = values(keys[0], keys[1]).getFirst();
            String exclude = values(keys[0], keys[2]).getFirst();
            assertTrue(glob(include).matches(Path.of(dump.path())), include + " vs " + dump.path());
            assertFalse(glob(include).matches(Path.of(dump.temporaryPath())), include + " vs " + dump.temporaryPath());
            assertFalse(fnmatch(exclude, dump.path()), exclude + " vs " + dump.path());
            assertTrue(fnmatch(exclude, dump.temporaryPath()), exclude + " vs " + dump.temporaryPath());
        }
        List<String> yamlRules = values(yaml, "regex").subList(0, 2);
        assertEquals(List.of("/^# capture-id: /", "/^(?!# capture-id: ).*/"), yamlRules);
        assertTrue(parsers.contains("Rule          \"start_state\" \"" + yamlRules.get(0) + "\""), parsers);
        assertTrue(parsers.contains("Rule          \"cont\"        \"" + yamlRules.get(1) + "\""), parsers);
        String startRule = yamlRules.get(0).substring(1, yamlRules.get(0).length() - 1);
        assertOneRecord(dump, startRule);
        String cont = yamlRules.get(1).substring(1, yamlRules.get(1).length() - 1);
        for (String line : dump.lines().subList(1, dump.lines().size())) {
            assertTrue(Pattern.compile(cont).matcher(line).find(), line);
        }
        assertFields(values(yaml, "regex").get(2), dump.path());
        assertFields(values(parsers, "Regex").getFirst(), dump.path());
    }

    @Test
    void vectorAndPromtailDoTheSame() throws IOException {
        Dump dump = dump();
        String readme = readme();
        String vector = block(readme, "```toml\n[sources.jdd]");
        String promtail = block(readme, "```yaml\nscrape_configs:");
        assertTrue(glob(values(vector, "include").getFirst().replaceAll("[\\[\\]\"]", "")).matches(Path.of(dump.path())));
        assertTrue(glob(values(vector, "exclude").getFirst().replaceAll("[\\[\\]\"]", "")).matches(Path.of(dump.temporaryPath())));
        assertOneRecord(dump, values(vector, "start_pattern").getFirst());
        assertEquals(values(vector, "start_pattern"), values(vector, "condition_pattern"));
        Matcher vrl = Pattern.compile("parse_regex!\\(\\.path, r'(.+)'\\)").matcher(vector);
        assertTrue(vrl.find(), vector);
        assertFields(vrl.group(1), dump.path());

        assertTrue(glob(values(promtail, "__path__").getFirst()).matches(Path.of(dump.path())));
        assertFalse(glob(values(promtail, "__path__").getFirst()).matches(Path.of(dump.temporaryPath())));
        assertOneRecord(dump, values(promtail, "firstline").getFirst());
        assertTrue(Integer.parseInt(values(promtail, "max_lines").getFirst()) > dump.lines().size());
        assertFields(values(promtail, "expression").getFirst(), dump.path());
    }
}
