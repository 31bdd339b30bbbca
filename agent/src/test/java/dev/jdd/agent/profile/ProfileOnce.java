package dev.jdd.agent.profile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * {@code java dev.jdd.agent.profile.ProfileOnce <host pid>}: one profile of 2 s, as the agent takes it, for tests that
 * run the profiler inside a container with chosen capabilities. Prints {@code samples=N} or {@code unavailable=<why>},
 * then {@code left=} and what of the profile is left in the target's /tmp.
 */
public final class ProfileOnce {
    private ProfileOnce() {
    }

    public static void main(String[] args) throws IOException {
        long pid = Long.parseLong(args[0]);
        Profile p = JfrProfiler.onThisNode(Duration.ofSeconds(2)).start(pid, "caps" + pid, "caps: ").await();
        System.out.println(p.present() ? "samples=" + p.samples() : "unavailable=" + p.unavailable());
        try (Stream<Path> tmp = Files.list(Path.of("/proc/" + pid + "/root/tmp"))) {
            System.out.println("left=" + tmp.map(f -> f.getFileName().toString())
                    .filter(n -> n.startsWith(JfrProfiler.FOLDER_PREFIX)).toList());
        }
    }
}
