package dev.jdd.agent.craw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipped script is plain POSIX sh: shellcheck finds nothing, and dash and busybox parse it. */
class CrawScriptLintTest {
    @TempDir
    Path scratch;

    private static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return p.exitValue() + "\n" + out;
    }

    @Test
    void shellcheckFindsNothing() throws Exception {
        Path shellcheck = Path.of("/usr/bin/shellcheck");
        assumeTrue(Files.isExecutable(shellcheck), "shellcheck is not installed (CI installs it)");
        Path script = CrawScript.copyInto(scratch);
        assertEquals("0\n", run(List.of(shellcheck.toString(), "--shell=sh", "--severity=style", script.toString())));
    }

    @Test
    void dashAndBusyboxParseIt() throws Exception {
        Path script = CrawScript.copyInto(scratch);
        for (CrawScript.Shell shell : CrawScript.Shell.values()) {
            List<String> cmd = new java.util.ArrayList<>(shell.command());
            cmd.addAll(List.of("-n", script.toString()));
            assertEquals("0\n", run(cmd), shell.name());
        }
    }

    @Test
    void helpPrintsUsageAndExits0() throws Exception {
        Path script = CrawScript.copyInto(scratch);
        String out = run(List.of(CrawScript.Shell.DASH.command().getFirst(), script.toString(), "-h"));
        assertTrue(out.startsWith("0\nusage: craw.sh [-n COUNT] [-i INTERVAL_MS] [-p PID]"), out);
    }
}
