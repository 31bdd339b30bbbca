package dev.jdd.agent;

import dev.jdd.common.Names;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.logging.Logger;

/**
 * One small hidden file per accepted capture, {@code <dump-dir>/.inflight-<id>}, written at admission and removed
 * once the capture is recorded. A capture whose file is still there at the next start was in flight when the agent
 * died (SIGKILL, OOM kill, node reboot): {@link #recover} turns it into a dump file with outcome {@code interrupted}
 * and the reason, so that its id, answered with 202, still resolves. No fsync: the files must outlive the process,
 * not the node, and admission stays a matter of microseconds.
 */
final class CaptureJournal {
    private static final Logger LOG = Logger.getLogger(CaptureJournal.class.getName());
    private static final String PREFIX = ".inflight-";
    static final String KILLED = "the agent stopped (killed) before the capture finished; recorded at its next start";

    private final Path root;
    private final String node;

    CaptureJournal(Path root, String node) {
        this.root = root;
        this.node = node;
    }

    /** Notes an accepted capture. A failure (disk full) is logged: the capture runs anyway. */
    void admitted(Capture capture) {
        StringBuilder text = new StringBuilder(256);
        Map<String, String> fields = Map.of("capture-id", capture.id, "namespace", capture.namespace, "pod", capture.pod,
                "container", capture.container, "start", DumpStore.iso(capture.accepted));
        fields.forEach((k, v) -> text.append(k).append(": ").append(v).append('\n'));
        if (capture.alertName != null) {
            text.append("alert-name: ").append(DumpStore.headerValue(capture.alertName)).append('\n');
        }
        if (capture.alertValue != null) {
            text.append("alert-value: ").append(DumpStore.headerValue(capture.alertValue)).append('\n');
        }
        try {
            Files.writeString(file(capture.id), text, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        } catch (IOException e) {
            LOG.warning(capture.log(node) + "cannot note the capture in " + root + " (it runs anyway; a crash would lose it): " + e);
        }
    }

    /** The capture is recorded (in a file, or in memory when that failed): forget it. */
    void recorded(Capture capture) {
        try {
            Files.deleteIfExists(file(capture.id));
        } catch (IOException e) {
            LOG.warning(capture.log(node) + "cannot remove " + file(capture.id) + ": " + e);
        }
    }

    /**
     * Records every capture a previous run left in flight as {@code interrupted} in {@code store}, and removes its
     * note. Returns how many it recorded. Unreadable notes are removed with a warning.
     */
    int recover(DumpStore store, Clock clock) {
        int recovered = 0;
        try (DirectoryStream<Path> notes = Files.newDirectoryStream(root, PREFIX + "*")) {
            for (Path note : notes) {
                Capture capture = read(note);
                if (capture != null && !store.contains(capture.id)) {
                    try {
                        store.write(capture, CaptureResult.without(CaptureResult.INTERRUPTED, null, KILLED, clock.instant()));
                        recovered++;
                        LOG.warning(capture.log(node) + "was in flight when the agent stopped; recorded as interrupted");
                    } catch (IOException | RuntimeException e) {
                        LOG.warning(capture.log(node) + "was in flight when the agent stopped, and cannot be recorded: " + e);
                        continue;
                    }
                }
                Files.deleteIfExists(note);
            }
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            LOG.warning("node=" + node + " cannot read the captures in flight in " + root + ": " + e);
        }
        return recovered;
    }

    private Capture read(Path note) {
        Map<String, String> fields = new HashMap<>();
        try {
            for (String line : Files.readAllLines(note, StandardCharsets.UTF_8)) {
                int colon = line.indexOf(": ");
                if (colon > 0) {
                    fields.putIfAbsent(line.substring(0, colon), line.substring(colon + 2));
                }
            }
            String id = fields.get("capture-id");
            if (!DumpStore.looksLikeId(id) || !note.getFileName().toString().equals(PREFIX + id)
                    || Names.problem(fields.get("namespace"), fields.get("pod"), fields.get("container"), false) != null) {
                throw new IOException("not a note this agent wrote");
            }
            return new Capture(id, fields.get("namespace"), fields.get("pod"), fields.get("container"),
                    fields.get("alert-name"), fields.get("alert-value"), Instant.parse(fields.get("start")));
        } catch (IOException | DateTimeParseException | NullPointerException e) {
            LOG.warning("node=" + node + " removing unreadable note " + note + ": " + e);
            return null;
        }
    }

    private Path file(String id) {
        return root.resolve(PREFIX + id);
    }
}
