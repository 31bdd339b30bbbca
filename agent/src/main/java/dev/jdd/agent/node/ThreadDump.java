package dev.jdd.agent.node;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A HotSpot thread dump ({@code threaddump}, {@code jstack}, {@code jcmd Thread.print}) split into the
 * per-thread blocks, keyed by native thread id. {@code nid=} is hex ({@code 0x3039}) up to JDK 20 and
 * decimal from JDK 21; both mean the thread's id in the JVM's own pid namespace.
 */
final class ThreadDump {
    /** One thread's block: its header line and the lines under it, without trailing blank lines. */
    record Block(long nid, String name, String state, String text) {
    }

    private static final Pattern NID = Pattern.compile(" nid=(0x[0-9a-fA-F]+|[0-9]+)");
    // The name is quoted but may hold quotes itself: take the longest quoted prefix followed by header fields.
    private static final Pattern NAME = Pattern.compile("^\"(.*)\" (?:#\\d+ )?(?:\\[\\d+\\] )?(?:daemon )?(?:prio=|os_prio=)");
    private static final Pattern STATE = Pattern.compile("^\\s+java\\.lang\\.Thread\\.State: (\\S+)");

    private final Map<Long, Block> byNid;

    private ThreadDump(Map<Long, Block> byNid) {
        this.byNid = byNid;
    }

    Block byNid(long nid) {
        return byNid.get(nid);
    }

    int size() {
        return byNid.size();
    }

    static ThreadDump parse(String dump) {
        Map<Long, Block> blocks = new HashMap<>();
        List<String> current = new ArrayList<>();
        for (String line : dump.split("\r?\n", -1)) {
            if (line.startsWith("\"")) {
                add(blocks, current);
                current = new ArrayList<>();
                current.add(line);
            } else if (!current.isEmpty() && (line.isBlank() || line.startsWith(" ") || line.startsWith("\t"))) {
                // Frames, notes, and the blank line before "Locked ownable synchronizers" (-l) stay in the block.
                current.add(line);
            } else {
                add(blocks, current);
                current = new ArrayList<>();
            }
        }
        add(blocks, current);
        return new ThreadDump(blocks);
    }

    private static void add(Map<Long, Block> blocks, List<String> lines) {
        if (lines.isEmpty()) {
            return;
        }
        int end = lines.size();
        while (end > 1 && lines.get(end - 1).isBlank()) {
            end--;
        }
        String header = lines.get(0);
        Matcher nid = NID.matcher(header);
        Long id = null;
        while (nid.find()) {
            String v = nid.group(1);
            id = v.startsWith("0x") ? Long.parseLong(v.substring(2), 16) : Long.parseLong(v);
        }
        if (id == null) {
            return;
        }
        Matcher name = NAME.matcher(header);
        String threadName = name.find() ? name.group(1) : header.substring(1, Math.max(1, header.indexOf('"', 1)));
        String state = null;
        for (int i = 1; i < end && state == null; i++) {
            Matcher m = STATE.matcher(lines.get(i));
            if (m.find()) {
                state = m.group(1);
            }
        }
        blocks.put(id, new Block(id, threadName, state, String.join("\n", lines.subList(0, end))));
    }
}
