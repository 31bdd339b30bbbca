package dev.jdd.agent;

import dev.jdd.common.CaptureInfo;
import dev.jdd.common.CaptureRequest;
import dev.jdd.common.Names;
import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import dev.jdd.agent.runtime.CappedOutput;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The dump files: {@code <root>/<yyyy-MM-dd>/<namespace>/<pod>/<container>_<HHmmss>_<id>.log} (UTC), each written
 * under a dot-prefixed {@code .tmp} name in the same folder and renamed, so a shipper never sees half a file.
 * Keeps an index of the files it wrote (rebuilt from the folder at start): it answers which capture ids exist, lists
 * them, and applies retention (bytes and age, oldest first) without walking the folder again.
 *
 * <p>The file is fsynced before the rename and its folder after it, so that a crash of the node leaves either no
 * file or the whole one. A dump that cannot be written (disk full) leaves nothing on disk (no temporary file, no
 * empty folder) and is kept in memory instead, as {@link #recordUnwritten}: listed with its error, and its header
 * served as its text, until the agent restarts.
 * A capture's profile ({@code <dump name>.collapsed}, collapsed stacks) is written the same way beside its dump, counts
 * towards the retention bytes with it and is removed with it.
 */
public final class DumpStore {
    private static final Logger LOG = Logger.getLogger(DumpStore.class.getName());
    private static final Pattern ID = Pattern.compile("[0-9a-f]{16}");
    private static final Pattern FILE = Pattern.compile("([a-z0-9-]{1,63})_(\\d{6})_([0-9a-f]{16})\\.log");
    private static final Pattern DAY = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HHmmss").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter DATE = DateTimeFormatter.ISO_LOCAL_DATE.withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    /** The router cuts alert text to the same length before it sends it. */
    private static final int HEADER_VALUE_MAX = CaptureRequest.ALERT_TEXT_MAX;
    private static final int HEADER_READ_MAX = 64;
    /** Captures whose dump could not be written, kept in memory: the newest this many. */
    private static final int UNWRITTEN_MAX = 1000;
    /** Appended to a dump's file name for its profile. */
    static final String PROFILE_SUFFIX = ".collapsed";

    private final Path root;
    private final String node;
    private final long retentionBytes;
    private final Duration retentionAge;
    private final Clock clock;
    /** By capture id; guarded by this. */
    private final Map<String, Entry> byId = new HashMap<>();
    /** Oldest first, for retention and listing; guarded by this. */
    private final TreeSet<Entry> byStart = new TreeSet<>(
            Comparator.comparing((Entry e) -> e.start).thenComparing(e -> e.info.captureId()));
    private long totalBytes;
    private int unwritten;
    /** Creating and pruning folders exclude each other, so that a failed write never removes a folder another fills. */
    private final Object folders = new Object();
    private final String runtime;

    /** A dump on disk ({@code path}), or one that could not be written ({@code path} null, {@code text} its header). */
    private record Entry(CaptureInfo info, Path path, Instant start, long bytes, byte[] text) {
        Entry(CaptureInfo info, Path path, Instant start, long bytes) {
            this(info, path, start, bytes, null);
        }
    }

    private record Rendered(byte[] content, boolean truncated) {
    }

    public DumpStore(Path root, String node, long retentionBytes, Duration retentionAge, Clock clock) {
        this(root, node, null, retentionBytes, retentionAge, clock);
    }

    /** @param runtime the container runtime as the dump header names it ({@code # runtime:}), e.g. {@code containerd 1.6.20} */
    public DumpStore(Path root, String node, String runtime, long retentionBytes, Duration retentionAge, Clock clock) {
        this.runtime = runtime;
        this.root = root.toAbsolutePath().normalize();
        this.node = node;
        this.retentionBytes = retentionBytes;
        this.retentionAge = retentionAge;
        this.clock = clock;
    }

    public Path root() {
        return root;
    }

    /** Times in headers and listings: ISO-8601 UTC with milliseconds, so that they sort as text too. */
    public static String iso(Instant instant) {
        return ISO.format(instant);
    }

    /** A string of the shape the agent gives capture ids. Says nothing about whether it was issued. */
    public static boolean looksLikeId(String id) {
        return id != null && ID.matcher(id).matches();
    }

    /** Creates the folder, removes temporary files a crash left, rebuilds the index and applies retention. */
    public synchronized void open() throws IOException {
        Files.createDirectories(root);
        byId.clear();
        byStart.clear();
        totalBytes = 0;
        try (DirectoryStream<Path> days = Files.newDirectoryStream(root)) {
            for (Path day : days) {
                if (Files.isDirectory(day) && DAY.matcher(day.getFileName().toString()).matches()) {
                    scanDay(day);
                }
            }
        }
        applyRetention(null);
        LOG.info("node=" + node + " dump folder " + root + ": " + byId.size() + " captures, " + totalBytes + " bytes");
    }

    private void scanDay(Path day) throws IOException {
        try (DirectoryStream<Path> namespaces = Files.newDirectoryStream(day)) {
            for (Path ns : namespaces) {
                if (!Files.isDirectory(ns) || !Names.isLabel(ns.getFileName().toString())) {
                    continue;
                }
                try (DirectoryStream<Path> pods = Files.newDirectoryStream(ns)) {
                    for (Path pod : pods) {
                        if (Files.isDirectory(pod) && Names.isSubdomain(pod.getFileName().toString())) {
                            scanPod(pod);
                        }
                    }
                }
            }
        }
    }

    private void scanPod(Path podDir) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(podDir)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (name.startsWith(".") && name.endsWith(".tmp")) {
                    Files.deleteIfExists(file);
                    continue;
                }
                if (name.endsWith(PROFILE_SUFFIX) && !Files.exists(podDir.resolve(name.substring(0, name.length()
                        - PROFILE_SUFFIX.length())))) {
                    // A crash between writing the profile and its dump.
                    Files.deleteIfExists(file);
                    continue;
                }
                Matcher m = FILE.matcher(name);
                if (m.matches() && Files.isRegularFile(file)) {
                    try {
                        index(readInfo(file, m));
                    } catch (IOException | RuntimeException e) {
                        LOG.warning("node=" + node + " skipping unreadable dump " + file + ": " + e);
                    }
                }
            }
        }
    }

    private Entry readInfo(Path file, Matcher name) throws IOException {
        Map<String, String> header = new HashMap<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = in.readLine()) != null && line.startsWith("# ") && n++ < HEADER_READ_MAX) {
                int colon = line.indexOf(": ");
                if (colon > 2) {
                    header.putIfAbsent(line.substring(2, colon), line.substring(colon + 2));
                }
            }
        }
        Path pod = file.getParent();
        String id = name.group(3);
        if (!id.equals(header.get("capture-id"))) {
            throw new IOException("its header names capture " + header.get("capture-id"));
        }
        Instant start = Instant.parse(header.get("start"));
        String exit = header.get("exit-code");
        long bytes = Files.size(file);
        CaptureInfo info = new CaptureInfo(id, header.getOrDefault("node", node),
                pod.getParent().getFileName().toString(), pod.getFileName().toString(), name.group(1),
                header.get("start"), header.get("end"), header.get("outcome"), blankToNull(header.get("engine")),
                exit == null || exit.isBlank() ? null : Integer.valueOf(exit), bytes, blankToNull(header.get("error")),
                header.containsKey("truncated") ? Boolean.TRUE : null);
        Path profile = profileOf(file);
        return new Entry(info, file, start, bytes + (Files.exists(profile) ? Files.size(profile) : 0));
    }

    private static Path profileOf(Path dump) {
        return dump.resolveSibling(dump.getFileName() + PROFILE_SUFFIX);
    }

    /** Whether the agent issued this id and its dump is on disk. */
    public synchronized boolean contains(String id) {
        return byId.containsKey(id);
    }

    /** The dump of an issued capture id; empty for anything else, before any path is built from it. */
    public synchronized Optional<Path> file(String id) {
        if (!looksLikeId(id)) {
            return Optional.empty();
        }
        return Optional.ofNullable(byId.get(id)).map(Entry::path);
    }

    /** The text (its header) of a capture whose dump could not be written; empty for anything else. */
    public synchronized Optional<byte[]> unwrittenText(String id) {
        if (!looksLikeId(id)) {
            return Optional.empty();
        }
        return Optional.ofNullable(byId.get(id)).map(Entry::text).map(byte[]::clone);
    }

    /** The profile (collapsed stacks) of an issued capture id, when it has one; checked as {@link #file}. */
    public Optional<Path> profile(String id) {
        return file(id).map(DumpStore::profileOf).filter(Files::isRegularFile);
    }

    /** Finished captures, newest first, optionally of one namespace and pod. */
    public synchronized List<CaptureInfo> list(String namespace, String pod, int limit) {
        List<CaptureInfo> out = new ArrayList<>();
        for (Entry e : byStart.descendingSet()) {
            if (out.size() >= limit) {
                break;
            }
            if ((namespace == null || namespace.equals(e.info.namespace())) && (pod == null || pod.equals(e.info.pod()))) {
                out.add(e.info);
            }
        }
        return out;
    }

    /** Every finished capture, oldest first (to restore cooldowns at start). */
    public synchronized List<CaptureInfo> all() {
        return byStart.stream().map(Entry::info).toList();
    }

    public synchronized long totalBytes() {
        return totalBytes;
    }

    public synchronized int count() {
        return byId.size();
    }

    /**
     * Writes the dump of a finished capture atomically and indexes it. Names are checked again here (they were
     * at admission) so that nothing but a valid path is ever built.
     *
     * @throws IllegalArgumentException for a bad id or name; nothing is written then
     */
    public Path write(Capture capture, CaptureResult result) throws IOException {
        if (!looksLikeId(capture.id) || !Names.isLabel(capture.namespace) || !Names.isSubdomain(capture.pod)
                || !Names.isLabel(capture.container)) {
            throw new IllegalArgumentException("refusing to write a dump for id=" + capture.id + " target="
                    + capture.namespace + "/" + capture.pod + "/" + capture.container);
        }
        Instant start = capture.accepted;
        Path dir = root.resolve(DATE.format(start)).resolve(capture.namespace).resolve(capture.pod);
        String name = capture.container + "_" + TIME.format(start) + "_" + capture.id + ".log";
        Path file = dir.resolve(name);
        if (!file.normalize().startsWith(root)) {
            throw new IllegalArgumentException("dump path leaves the dump folder: " + file);
        }
        Rendered rendered = render(capture, result, name + PROFILE_SUFFIX);
        byte[] content = rendered.content();
        byte[] profile = result.profile() != null && result.profile().present() ? result.profile().collapsed() : null;
        if (profile != null) {
            // The profile first: once a shipper sees the dump, the file its header names is there.
            writeAtomically(dir, name + PROFILE_SUFFIX, profile);
        }
        try {
            writeAtomically(dir, name, content);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(profileOf(file));
            synchronized (folders) {
                pruneEmptyFolders(dir);
            }
            throw e;
        }
        CaptureInfo info = new CaptureInfo(capture.id, node, capture.namespace, capture.pod, capture.container,
                iso(start), iso(result.end()), result.outcome(), result.dumpTool(), result.exitCode(), (long) content.length,
                result.error(), rendered.truncated() ? Boolean.TRUE : null);
        synchronized (this) {
            index(new Entry(info, file, start, content.length + (profile == null ? 0 : profile.length)));
            applyRetention(file);
        }
        return file;
    }

    /**
     * Writes under a dot-prefixed {@code .tmp} name in the same folder, fsynced, then renames and syncs the folder: a
     * crash leaves either no file or the whole one. On failure nothing is left (no temporary file, no empty folder).
     */
    private void writeAtomically(Path dir, String name, byte[] content) throws IOException {
        Path tmp = dir.resolve("." + name + ".tmp");
        Path made = null;
        try {
            // java.io, not an NIO channel: a capture thread that shutdown interrupts must still write its file.
            FileOutputStream out;
            synchronized (folders) {
                made = createFolders(dir);
                out = new FileOutputStream(Files.createFile(tmp).toFile());
            }
            try (out) {
                out.write(content);
                out.getFD().sync();
            }
            try {
                Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir.resolve(name));
            }
            syncFolder(dir);
            if (made != null) {
                // The new folders' own entries must last too: the folder above the highest one made.
                syncFolder(made.getParent());
            }
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException again) {
                e.addSuppressed(again);
            }
            synchronized (folders) {
                pruneEmptyFolders(dir);
            }
            throw e;
        }
    }

    /**
     * Keeps, in memory only, a capture whose dump could not be written: it is listed (with {@code result}'s outcome
     * and error) and its header is served as its text. Nothing is written.
     */
    public void recordUnwritten(Capture capture, CaptureResult result) {
        byte[] text = render(capture, result, null).content();
        CaptureInfo info = new CaptureInfo(capture.id, node, capture.namespace, capture.pod, capture.container,
                iso(capture.accepted), iso(result.end()), result.outcome(), result.dumpTool(), result.exitCode(), null,
                result.error(), null);
        synchronized (this) {
            index(new Entry(info, null, capture.accepted, 0, text));
            unwritten++;
            if (unwritten > UNWRITTEN_MAX) {
                byStart.stream().filter(e -> e.path == null).findFirst().ifPresent(oldest -> {
                    byStart.remove(oldest);
                    byId.remove(oldest.info.captureId());
                    unwritten--;
                });
            }
        }
    }

    /** Creates {@code dir} and the folders above it; returns the highest one it made, or null when all existed. */
    private Path createFolders(Path dir) throws IOException {
        Path highest = null;
        for (Path d = dir; d.startsWith(root) && !Files.isDirectory(d); d = d.getParent()) {
            highest = d;
        }
        Files.createDirectories(dir);
        return highest;
    }

    /** Makes a rename or creation in {@code dir} durable. Best effort: the file is complete either way. */
    private void syncFolder(Path dir) {
        boolean interrupted = Thread.interrupted();
        try (FileChannel folder = FileChannel.open(dir, StandardOpenOption.READ)) {
            folder.force(true);
        } catch (IOException e) {
            LOG.warning("node=" + node + " cannot sync folder " + dir + ": " + e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private Rendered render(Capture capture, CaptureResult result, String profileName) {
        Map<String, String> header = new LinkedHashMap<>();
        header.put("capture-id", capture.id);
        header.put("node", node);
        if (runtime != null) {
            header.put("runtime", runtime);
        }
        header.put("namespace", capture.namespace);
        header.put("pod", capture.pod);
        header.put("container", capture.container);
        header.put("container-id", result.containerId());
        header.put("alert-name", capture.alertName);
        header.put("alert-value", capture.alertValue);
        header.put("start", iso(capture.accepted));
        header.put("end", iso(result.end()));
        header.put("engine", result.dumpTool());
        header.put("outcome", result.outcome());
        header.put("exit-code", result.exitCode() == null ? null : result.exitCode().toString());
        if (result.profile() != null && profileName == null) {
            header.put("profile", "unavailable (the dump could not be written, so neither was its profile)");
        } else if (result.profile() != null) {
            header.put("profile", result.profile().header(profileName));
            if (result.profile().present()) {
                header.put("profile-samples", Long.toString(result.profile().samples()));
                if (result.profile().sampler() != null) {
                    header.put("profile-sampler", result.profile().sampler());
                }
            }
        }
        if (result.error() != null) {
            header.put("error", result.error());
        }
        byte[] stdout = result.stdout();
        boolean truncated = result.stdoutCut();
        if (truncated) {
            // The runtime stopped reading at its cap, most likely mid-line: keep whole lines only.
            int cut = stdout.length;
            while (cut > 0 && stdout[cut - 1] != '\n') {
                cut--;
            }
            header.put("truncated", "stdout reached the " + CappedOutput.DEFAULT_CAP + "-byte cap; " + cut
                    + " bytes kept up to the last whole line, the rest dropped");
            stdout = java.util.Arrays.copyOf(stdout, cut);
        }
        StringBuilder text = new StringBuilder(256);
        header.forEach((k, v) -> text.append("# ").append(k).append(": ").append(headerValue(v)).append('\n'));
        text.append('\n');
        byte[] head = text.toString().getBytes(StandardCharsets.UTF_8);
        byte[] stderrTitle = result.stderr().length == 0 ? new byte[0]
                : ((stdout.length > 0 && stdout[stdout.length - 1] != '\n' ? "\n" : "")
                        + "# craw.sh stderr:\n").getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[head.length + stdout.length + stderrTitle.length + result.stderr().length];
        int at = 0;
        for (byte[] part : List.of(head, stdout, stderrTitle, result.stderr())) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return new Rendered(all, truncated);
    }

    /**
     * One header value on one line: control characters (including CR, LF and Unicode line separators) become
     * spaces, so alert text cannot forge header lines; long values are cut.
     */
    static String headerValue(String value) {
        if (value == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(Math.min(value.length(), HEADER_VALUE_MAX));
        for (int i = 0; i < value.length() && out.length() < HEADER_VALUE_MAX; i++) {
            char c = value.charAt(i);
            boolean control = c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u2028' || c == '\u2029';
            out.append(control ? ' ' : c);
        }
        return out.toString();
    }

    private void index(Entry e) {
        Entry old = byId.put(e.info.captureId(), e);
        if (old != null && old.path == null) {
            unwritten--;
        }
        if (old != null) {
            byStart.remove(old);
            totalBytes -= old.bytes;
        }
        byStart.add(e);
        totalBytes += e.bytes;
    }

    /** Applies retention now (the timer's call); returns how many captures it dropped. */
    public synchronized int enforceRetention() {
        int before = byId.size();
        applyRetention(null);
        return before - byId.size();
    }

    /** Removes the oldest dumps while over the byte limit, and every dump older than the age limit. Keeps {@code keep}. */
    private void applyRetention(Path keep) {
        Instant tooOld = clock.instant().minus(retentionAge);
        while (!byStart.isEmpty()) {
            Entry oldest = byStart.first();
            boolean over = totalBytes > retentionBytes || oldest.start.isBefore(tooOld);
            if (!over || oldest.path.equals(keep)) {
                break;
            }
            byStart.pollFirst();
            byId.remove(oldest.info.captureId());
            totalBytes -= oldest.bytes;
            if (oldest.path == null) {
                unwritten--;
            } else {
                delete(oldest.path);
            }
        }
    }

    private void delete(Path file) {
        try {
            Files.deleteIfExists(profileOf(file));
            Files.deleteIfExists(file);
            synchronized (folders) {
                pruneEmptyFolders(file.getParent());
            }
        } catch (NoSuchFileException ignored) {
            // already gone
        } catch (IOException e) {
            LOG.log(Level.WARNING, "node=" + node + " cannot delete old dump " + file + ": " + e);
        }
    }

    /** Drops {@code dir} and the pod, namespace and day folders above it while they are empty. Caller holds {@link #folders}. */
    private void pruneEmptyFolders(Path dir) {
        for (Path d = dir; d != null && !d.equals(root) && d.startsWith(root); d = d.getParent()) {
            if (Files.exists(d, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                break;
            }
            try {
                Files.delete(d);
            } catch (IOException notEmptyOrGone) {
                if (Files.exists(d)) {
                    break;
                }
            }
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
