package dev.jdd.router;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the capture page shows of a dump: its {@code # key: value} header (the agent's and craw.sh's) and the ranked
 * threads ({@code #1 cpu=99.7% tid=4260 "hot-spinner" RUNNABLE} and the stack block under it). Text in, records out;
 * the strings are the dump's own (hostile names included): whoever renders them escapes them.
 */
public record DumpSummary(Map<String, String> header, List<RankedThread> threads, Map<String, Integer> states) {
    /** More ranked threads than craw.sh ever writes ({@code --threads} is at most a few hundred). */
    static final int MAX_THREADS = 1000;
    static final int MAX_STACK_CHARS = 64 * 1024;
    private static final int MAX_HEADER_LINES = 200;

    private static final Pattern RANKED = Pattern.compile("#(\\d{1,6}) cpu=(\\d{1,6}(?:\\.\\d{1,3})?)% tid=(\\d{1,12}) \"(.*)\"(?: ([A-Z_]{1,40}))?");
    private static final Pattern HEADER = Pattern.compile("# ([A-Za-z0-9][A-Za-z0-9 _.-]{0,63}): ?(.*)");

    /** One ranked thread; {@code state} is null for a thread without Java frames, {@code stack} empty then too. */
    public record RankedThread(int rank, double cpu, long tid, String name, String state, String stack) {
    }

    /** The busiest thread of a dump, as the list shows it. */
    public record TopThread(String name, double cpu) {
    }

    /** A ranked line, or empty for any other line. */
    static Optional<RankedThread> rankedLine(String line) {
        Matcher m = RANKED.matcher(line);
        if (!m.matches()) {
            return Optional.empty();
        }
        return Optional.of(new RankedThread(Integer.parseInt(m.group(1)), Double.parseDouble(m.group(2)),
                Long.parseLong(m.group(3)), m.group(4), m.group(5), ""));
    }

    public static DumpSummary parse(String dump) {
        Map<String, String> header = new LinkedHashMap<>();
        List<RankedThread> threads = new ArrayList<>();
        Map<String, Integer> states = new TreeMap<>();
        RankedThread current = null;
        StringBuilder stack = new StringBuilder();
        int headerLines = 0;
        for (String line : (Iterable<String>) dump.lines()::iterator) {
            Optional<RankedThread> ranked = rankedLine(line);
            if (ranked.isPresent() || (current != null && (line.isEmpty() || line.startsWith("# ")))) {
                if (current != null) {
                    threads.add(withStack(current, stack));
                    current = null;
                }
                if (ranked.isPresent() && threads.size() < MAX_THREADS) {
                    current = ranked.get();
                    states.merge(current.state() == null ? "no Java frames" : current.state(), 1, Integer::sum);
                    stack.setLength(0);
                }
                continue;
            }
            if (current != null) {
                if (stack.length() < MAX_STACK_CHARS) {
                    stack.append(line, 0, Math.min(line.length(), MAX_STACK_CHARS - stack.length())).append('\n');
                }
            } else if (threads.isEmpty() && headerLines < MAX_HEADER_LINES) {
                Matcher m = HEADER.matcher(line);
                if (m.matches()) {
                    headerLines++;
                    header.putIfAbsent(m.group(1), m.group(2));
                }
            }
        }
        if (current != null) {
            threads.add(withStack(current, stack));
        }
        return new DumpSummary(header, threads, states);
    }

    private static RankedThread withStack(RankedThread t, StringBuilder stack) {
        return new RankedThread(t.rank(), t.cpu(), t.tid(), t.name(), t.state(), stack.toString().stripTrailing());
    }

    /**
     * Reads lines until the first ranked one, never more than {@code maxChars}: the header of a dump is short, so
     * the list needs only the start of each dump. Empty when the dump has no ranked thread within that much text.
     */
    static Optional<TopThread> topThread(BufferedReader in, int maxChars) throws IOException {
        int read = 0;
        StringBuilder line = new StringBuilder(256);
        while (read < maxChars) {
            int c = in.read();
            if (c < 0 || c == '\n') {
                Optional<RankedThread> ranked = rankedLine(line.toString());
                if (ranked.isPresent()) {
                    return Optional.of(new TopThread(ranked.get().name(), ranked.get().cpu()));
                }
                if (c < 0) {
                    return Optional.empty();
                }
                line.setLength(0);
            } else if (line.length() < 4096) {
                line.append((char) c);
            }
            read++;
        }
        return Optional.empty();
    }
}
