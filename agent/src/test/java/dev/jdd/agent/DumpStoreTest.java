package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jdd.agent.profile.Profile;
import dev.jdd.common.CaptureInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DumpStoreTest {
    @TempDir
    Path root;
    final MutableClock clock = new MutableClock(Instant.parse("2026-11-27T10:00:00Z"));

    private DumpStore open(long bytes, Duration age) throws IOException {
        DumpStore store = new DumpStore(root, "node-1", bytes, age, clock);
        store.open();
        return store;
    }

    private static Capture capture(String id, String ns, String pod, String container, Instant at) {
        return new Capture(id, ns, pod, container, "HighCpu", "97.5", at);
    }

    private static CaptureResult ok(Instant end, String stdout) {
        return new CaptureResult(CaptureResult.OK, "abc123", "jcmd", 0, end, stdout.getBytes(StandardCharsets.UTF_8),
                new byte[0], null);
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void writesTheContractedPathWithTheHeaderThenTheOutput() throws IOException {
        DumpStore store = open(1L << 30, Duration.ofDays(7));
        Instant start = Instant.parse("2026-11-27T09:08:07.123Z");
        Path file = store.write(capture("0123456789abcdef", "shop", "web-7d9f.x", "api", start),
                ok(start.plusSeconds(3), "# jdd-capture: 1\n#1 cpu=99.0% tid=7 \"hot-spinner\" RUNNABLE\n"));

        assertEquals(root.resolve("2026-11-27/shop/web-7d9f.x/api_090807_0123456789abcdef.log"), file);
        String text = Files.readString(file);
        assertEquals("""
                # capture-id: 0123456789abcdef
                # node: node-1
                # namespace: shop
                # pod: web-7d9f.x
                # container: api
                # container-id: abc123
                # alert-name: HighCpu
                # alert-value: 97.5
                # start: 2026-11-27T09:08:07.123Z
                # end: 2026-11-27T09:08:10.123Z
                # engine: jcmd
                # outcome: ok
                # exit-code: 0

                # jdd-capture: 1
                #1 cpu=99.0% tid=7 "hot-spinner" RUNNABLE
                """, text);
        assertEquals(List.of(file), files(), "no temporary file is left");
        assertEquals(Optional.of(file), store.file("0123456789abcdef"));
    }

    @Test
    void theHeaderNamesTheRuntimeAfterTheNode() throws IOException {
        DumpStore store = new DumpStore(root, "node-1", "containerd 1.7.24", 1L << 30, Duration.ofDays(7), clock);
        store.open();
        Path file = store.write(capture("00000000000000cc", "shop", "web", "api", clock.instant()), ok(clock.instant(), ""));
        assertTrue(Files.readString(file).startsWith("# capture-id: 00000000000000cc\n# node: node-1\n# runtime: containerd 1.7.24\n"
                + "# namespace: shop\n"), Files.readString(file));
    }

    @Test
    void failedCapturesKeepTheErrorAndTheScriptsStderr() throws IOException {
        DumpStore store = open(1L << 30, Duration.ofDays(7));
        Instant start = clock.instant();
        Path file = store.write(capture("00000000000000aa", "shop", "web", "api", start),
                new CaptureResult(CaptureResult.FAILED, "abc", null, 3, start.plusSeconds(1), new byte[0],
                        "craw.sh: no JVM found\n".getBytes(StandardCharsets.UTF_8), "craw.sh exited with 3 (no JVM found)"));
        String text = Files.readString(file);
        assertTrue(text.contains("# outcome: failed\n# exit-code: 3\n# error: craw.sh exited with 3 (no JVM found)\n"), text);
        assertTrue(text.endsWith("\n# craw.sh stderr:\ncraw.sh: no JVM found\n"), text);
    }

    @Test
    void alertTextCannotForgeHeaderLines() throws IOException {
        DumpStore store = open(1L << 30, Duration.ofDays(7));
        Capture hostile = new Capture("00000000000000bb", "shop", "web", "api",
                "x\n# outcome: ok\r\n# capture-id: ffffffffffffffff", "1\u2028# engine: forged\u0000" + "v".repeat(5000),
                clock.instant());
        Path file = store.write(hostile, ok(clock.instant(), ""));
        List<String> header = Files.readAllLines(file).stream().takeWhile(l -> !l.isEmpty()).toList();
        assertEquals(13, header.size(), header.toString());
        assertEquals(1, header.stream().filter(l -> l.startsWith("# outcome:")).count());
        assertEquals(1, header.stream().filter(l -> l.startsWith("# engine:")).count());
        assertEquals("# alert-name: x # outcome: ok  # capture-id: ffffffffffffffff", header.get(6));
        assertTrue(header.get(7).length() <= "# alert-value: ".length() + 512);
        assertTrue(store.file("ffffffffffffffff").isEmpty());
    }

    @Test
    void refusesHostileNamesAndIdsWithoutLeavingAnything() throws IOException {
        DumpStore store = open(1L << 30, Duration.ofDays(7));
        Instant now = clock.instant();
        List<Capture> hostile = List.of(
                capture("../../../etc/pw", "shop", "web", "api", now),
                capture("0123456789ABCDEF", "shop", "web", "api", now),
                capture("0123456789abcdef", "..", "web", "api", now),
                capture("0123456789abcdef", "shop", "../x", "api", now),
                capture("0123456789abcdef", "shop", "web", "api/../../x", now),
                capture("0123456789abcdef", "shop", "web", "API", now),
                capture("0123456789abcdef", "shop", "web", "a_b", now));
        for (Capture c : hostile) {
            assertThrows(IllegalArgumentException.class, () -> store.write(c, ok(now, "x")), c.id + " " + c.key());
        }
        try (Stream<Path> all = Files.walk(root)) {
            assertEquals(List.of(root), all.toList(), "not even a folder was made");
        }
        for (String id : List.of("..", "../etc/passwd", "0123456789abcdef", "", "%2e%2e", "0123456789abcdef0")) {
            assertTrue(store.file(id).isEmpty(), id);
        }
    }

    @Test
    void rebuildsItsIndexFromTheFolderAndDropsLeftoverTemporaryFiles() throws IOException {
        DumpStore store = open(1L << 30, Duration.ofDays(7));
        Instant t = clock.instant();
        store.write(capture("00000000000000c1", "shop", "web", "api", t), ok(t.plusSeconds(2), "one\n"));
        store.write(capture("00000000000000c2", "shop", "web", "api", t.plusSeconds(60)), ok(t.plusSeconds(62), "two\n"));
        store.write(capture("00000000000000c3", "bank", "core", "app", t.plusSeconds(120)), ok(t.plusSeconds(121), "three\n"));
        Path leftover = root.resolve("2026-11-27/shop/web/.api_100000_00000000000000c9.log.tmp");
        Files.writeString(leftover, "half a file");
        Path foreign = root.resolve("2026-11-27/shop/web/notes.txt");
        Files.writeString(foreign, "someone else's");

        DumpStore reopened = open(1L << 30, Duration.ofDays(7));
        assertFalse(Files.exists(leftover));
        assertTrue(Files.exists(foreign), "files it did not write are left alone");
        List<CaptureInfo> all = reopened.list(null, null, 10);
        assertEquals(List.of("00000000000000c3", "00000000000000c2", "00000000000000c1"),
                all.stream().map(CaptureInfo::captureId).toList(), "newest first");
        CaptureInfo c2 = all.get(1);
        assertEquals(new CaptureInfo("00000000000000c2", "node-1", "shop", "web", "api", "2026-11-27T10:01:00.000Z",
                "2026-11-27T10:01:02.000Z", "ok", "jcmd", 0, Files.size(reopened.file("00000000000000c2").orElseThrow())), c2);
        assertEquals(List.of("00000000000000c2", "00000000000000c1"),
                reopened.list("shop", "web", 10).stream().map(CaptureInfo::captureId).toList());
        assertEquals(1, reopened.list(null, null, 1).size());
    }

    @Test
    void retentionByBytesRemovesTheOldestFirst() throws IOException {
        DumpStore store = open(1L << 20, Duration.ofDays(7));
        String big = "x".repeat(300_000) + "\n";
        Instant t = clock.instant().minus(Duration.ofDays(2));
        String[] ids = {"00000000000000d1", "00000000000000d2", "00000000000000d3", "00000000000000d4"};
        for (int i = 0; i < ids.length; i++) {
            Instant at = t.plus(Duration.ofDays(i));
            store.write(capture(ids[i], "shop", "web", "api", at), ok(at, big));
        }
        assertTrue(store.totalBytes() <= 1L << 20);
        assertEquals(3, store.count());
        assertFalse(store.contains(ids[0]), "the oldest went first");
        assertFalse(Files.exists(root.resolve("2026-11-25")), "its empty day folder went with it");
        assertTrue(store.contains(ids[3]));
        assertEquals(3, files().size());
    }

    @Test
    void aProfileGoesBesideItsDumpIsNamedInTheHeaderAndLeavesWithIt() throws IOException {
        DumpStore store = open(1L << 20, Duration.ofDays(7));
        Instant at = clock.instant().minus(Duration.ofDays(1));
        String stacks = "java.lang.Thread.run;a.B.hot 90\njava.lang.Thread.run;a.B.cold 10\n";
        Path file = store.write(capture("00000000000000e1", "shop", "web", "api", at),
                ok(at, "# jdd-capture: 1\n").withProfile(Profile.of(stacks.getBytes(StandardCharsets.UTF_8), 100, "cpu-time")));
        Path profile = file.resolveSibling("api_" + file.getFileName().toString().substring(4) + ".collapsed");
        assertEquals(stacks, Files.readString(profile));
        assertTrue(Files.readString(file).contains("# exit-code: 0\n# profile: " + profile.getFileName()
                + "\n# profile-samples: 100\n# profile-sampler: cpu-time\n\n"), Files.readString(file));
        assertEquals(Optional.of(profile), store.profile("00000000000000e1"));
        assertEquals(Files.size(file) + Files.size(profile), store.totalBytes());
        assertEquals(List.of(file, profile), files().stream().sorted().toList(), "no temporary file is left");

        Path without = store.write(capture("00000000000000e2", "shop", "web", "api", at.plusSeconds(1)),
                ok(at, "x\n").withProfile(Profile.unavailable("read-only /tmp")));
        assertTrue(Files.readString(without).contains("# exit-code: 0\n# profile: unavailable (read-only /tmp)\n\n"));
        assertEquals(Optional.empty(), store.profile("00000000000000e2"));
        Path off = store.write(capture("00000000000000e3", "shop", "web", "api", at.plusSeconds(2)),
                ok(at, "x\n").withProfile(Profile.off()));
        assertTrue(Files.readString(off).contains("# profile: off\n"));
        assertEquals(Optional.empty(), store.profile("not-an-id/../x"));

        // Reopened: the profile still counts; an orphan profile (a crash before its dump) is removed.
        Path orphan = Files.writeString(file.resolveSibling("api_000000_00000000000000e9.log.collapsed"), "a 1\n");
        DumpStore reopened = open(1L << 20, Duration.ofDays(7));
        assertFalse(Files.exists(orphan));
        assertEquals(store.totalBytes(), reopened.totalBytes());
        assertEquals(Optional.of(profile), reopened.profile("00000000000000e1"));

        // Retention removes the profile with its dump.
        reopened.write(capture("00000000000000e4", "shop", "web", "api", clock.instant()), ok(clock.instant(), "y".repeat(1 << 20)));
        assertFalse(Files.exists(profile));
        assertFalse(Files.exists(file));
    }

    @Test
    void retentionByAgeRemovesOldDaysAtOpenAndAfterWrites() throws IOException {
        DumpStore store = open(1L << 30, Duration.ofDays(7));
        Instant old = clock.instant().minus(Duration.ofDays(6));
        store.write(capture("00000000000000e1", "shop", "web", "api", old), ok(old, "old\n"));
        clock.advance(Duration.ofDays(2));
        store.write(capture("00000000000000e2", "shop", "web", "api", clock.instant()), ok(clock.instant(), "new\n"));
        assertFalse(store.contains("00000000000000e1"));
        assertTrue(store.contains("00000000000000e2"));

        clock.advance(Duration.ofDays(8));
        DumpStore reopened = open(1L << 30, Duration.ofDays(7));
        assertEquals(0, reopened.count());
        assertEquals(List.of(), files());
    }

    @Test
    void headerValuesAreOneLine() {
        assertEquals("a b c d", DumpStore.headerValue("a\nb\rc\u0085d"));
        assertEquals("", DumpStore.headerValue(null));
        assertEquals(512, DumpStore.headerValue("y".repeat(10_000)).length());
    }

    @Test
    void outputAtTheCapIsCutAtALineAndMarkedInTheHeaderAndTheListing() throws IOException {
        DumpStore store = open(1L << 30, Duration.ofDays(7));
        Instant start = Instant.parse("2026-11-27T09:00:00Z");
        byte[] stdout = new byte[dev.jdd.agent.runtime.CappedOutput.DEFAULT_CAP];
        java.util.Arrays.fill(stdout, (byte) 'x');
        int lastNewline = stdout.length - 100;
        stdout[lastNewline] = '\n';
        stdout[1000] = '\n';
        CaptureResult cut = new CaptureResult(CaptureResult.OK, "abc", "jcmd", 0, start, stdout, new byte[0], null)
                .withStdoutCut(true);
        Path file = store.write(capture("00000000000000f1", "shop", "web", "api", start), cut);
        String text = Files.readString(file);
        String truncated = dev.jdd.agent.docker.AgentApiCaller.header(text).get("truncated");
        assertEquals("stdout reached the 16777216-byte cap; " + (lastNewline + 1)
                + " bytes kept up to the last whole line, the rest dropped", truncated);
        assertTrue(text.endsWith("x\n"), "ends at a whole line");
        assertEquals(Boolean.TRUE, store.list(null, null, 10).getFirst().truncated());

        // Exactly at the cap but not cut: kept whole, not marked.
        CaptureResult whole = new CaptureResult(CaptureResult.OK, "abc", "jcmd", 0, start, stdout, new byte[0], null);
        store.write(capture("00000000000000f2", "shop", "web", "api", start.plusSeconds(1)), whole);
        assertEquals(null, store.list(null, null, 10).getFirst().truncated());
        String wholeText = Files.readString(store.file("00000000000000f2").orElseThrow());
        assertFalse(wholeText.contains("# truncated"));
        assertTrue(wholeText.endsWith("x".repeat(99)), "nothing dropped");

        DumpStore reopened = open(1L << 30, Duration.ofDays(7));
        assertEquals(Boolean.TRUE, reopened.list(null, null, 10).get(1).truncated(), "read back from the header at start");
    }

    @Test
    void aWriteThatFailsLeavesNoFileAndNoFolderAndCanBeRecordedInMemory() throws IOException {
        DumpStore store = open(1L << 30, Duration.ofDays(7));
        Instant start = Instant.parse("2026-11-27T09:00:00Z");
        // A file where the namespace folder must go: the write fails after the day folder was made.
        Files.createDirectories(root.resolve("2026-11-27"));
        Files.writeString(root.resolve("2026-11-27/shop"), "in the way");
        Capture c = capture("00000000000000e1", "shop", "web", "api", start);
        assertThrows(IOException.class, () -> store.write(c, ok(start, "out\n")));
        assertEquals(List.of(root.resolve("2026-11-27/shop")), files());
        Files.delete(root.resolve("2026-11-27/shop"));
        // A failure below a fresh day folder removes the folders it made.
        Files.createDirectories(root.resolve("2026-11-28/shop"));
        Files.writeString(root.resolve("2026-11-28/shop/web"), "in the way");
        Capture later = capture("00000000000000e2", "shop", "web", "api", start.plus(Duration.ofDays(1)));
        assertThrows(IOException.class, () -> store.write(later, ok(start, "out\n")));
        assertEquals(List.of(root.resolve("2026-11-28/shop/web")), files(), "no temporary file");
        Files.delete(root.resolve("2026-11-28/shop/web"));
        store.recordUnwritten(later, CaptureResult.without(CaptureResult.ERROR, "abc", "the dump could not be written: full",
                start.plusSeconds(2)));
        assertTrue(store.contains("00000000000000e2"));
        CaptureInfo listed = store.list(null, null, 10).getFirst();
        assertEquals("error", listed.outcome());
        assertEquals("the dump could not be written: full", listed.error());
        assertEquals(null, listed.bytes());
        assertEquals(Optional.empty(), store.file("00000000000000e2"));
        String text = new String(store.unwrittenText("00000000000000e2").orElseThrow(), StandardCharsets.UTF_8);
        assertEquals("the dump could not be written: full", dev.jdd.agent.docker.AgentApiCaller.header(text).get("error"));
    }

    @Test
    void retentionRunsOnATimerWithoutAnyWrite() throws Exception {
        DumpStore store = open(1L << 30, Duration.ofDays(7));
        Instant start = clock.instant();
        Path file = store.write(capture("00000000000000d1", "shop", "web", "api", start), ok(start, "out\n"));
        try (RetentionTimer timer = new RetentionTimer(store, Duration.ofMillis(50))) {
            Thread.sleep(200);
            assertTrue(Files.exists(file), "young dumps stay");
            clock.advance(Duration.ofDays(7).plusSeconds(1));
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (Files.exists(file) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }
        assertFalse(Files.exists(file), "the timer removed the dump past --retention-age");
        assertFalse(store.contains("00000000000000d1"));
        assertFalse(Files.exists(root.resolve("2026-11-27")), "and its empty folders");
    }
}
