package dev.jdd.agent.craw;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** craw.sh's output, format version 1, parsed strictly: a test fails on anything it does not expect. */
record CrawOutput(List<String> headerLines, Map<String, String> header, List<Ranked> ranked, Optional<String> fullDump) {
    private static final Pattern HEADER = Pattern.compile("# ([a-z-]+): (.*)");
    private static final Pattern RANKED = Pattern.compile("#(\\d+) cpu=(\\d+\\.\\d)% tid=(\\d+) \"(.*)\"(?: ([A-Z_]+))?");

    /** One ranked thread: its line and the stack block that follows (empty for threads not in the dump). */
    record Ranked(int rank, double cpu, long tid, String name, String state, List<String> block) {
        boolean hasJavaFrames() {
            return block.stream().anyMatch(l -> l.startsWith("\tat "));
        }
    }

    static CrawOutput parse(String text) {
        List<String> lines = List.of(text.split("\n", -1));
        if (!lines.isEmpty() && lines.getLast().isEmpty()) {
            lines = lines.subList(0, lines.size() - 1);
        }
        int i = 0;
        List<String> headerLines = new ArrayList<>();
        Map<String, String> header = new LinkedHashMap<>();
        for (; i < lines.size() && !lines.get(i).equals("#"); i++) {
            Matcher m = HEADER.matcher(lines.get(i));
            if (!m.matches()) {
                throw new AssertionError("not a header line: '" + lines.get(i) + "' in\n" + text);
            }
            headerLines.add(lines.get(i));
            header.put(m.group(1), m.group(2));
        }
        if (i == lines.size()) {
            throw new AssertionError("no '#' line ending the header in\n" + text);
        }
        headerLines.add(lines.get(i++));
        List<Ranked> ranked = new ArrayList<>();
        String fullDump = null;
        while (i < lines.size()) {
            String line = lines.get(i);
            if (line.equals("# full-dump")) {
                fullDump = String.join("\n", lines.subList(i + 1, lines.size()));
                break;
            }
            Matcher m = RANKED.matcher(line);
            if (!m.matches()) {
                throw new AssertionError("not a ranked line: '" + line + "' in\n" + text);
            }
            List<String> block = new ArrayList<>();
            for (i++; i < lines.size() && !lines.get(i).isEmpty(); i++) {
                block.add(lines.get(i));
            }
            if (i == lines.size()) {
                throw new AssertionError("ranked block #" + m.group(1) + " does not end with an empty line");
            }
            i++;
            ranked.add(new Ranked(Integer.parseInt(m.group(1)), Double.parseDouble(m.group(2)),
                    Long.parseLong(m.group(3)), m.group(4), m.group(5), List.copyOf(block)));
        }
        return new CrawOutput(List.copyOf(headerLines), header, List.copyOf(ranked), Optional.ofNullable(fullDump));
    }

    Ranked named(String name) {
        return ranked.stream().filter(r -> r.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no ranked thread named " + name + " in " + ranked));
    }
}
