package dev.jdd.router;

import dev.jdd.agent.Agent;
import dev.jdd.agent.AgentConfig;
import dev.jdd.agent.local.LocalRuntime;
import dev.jdd.common.Flags;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Real agents (local runtime: the host is the node) started in-process, one per loopback address on one port, as
 * several nodes on one machine. Each has its own dump folder. Close to stop them and delete the folders.
 */
final class RealAgents implements AutoCloseable {
    final List<Agent> agents = new ArrayList<>();
    final List<Path> dumpDirs = new ArrayList<>();
    final int port;

    private RealAgents(int port) {
        this.port = port;
    }

    /**
     * Agents without a profile ({@code --profile=off}): the first profile of a JVM loads JFR in it, whose CPU in the
     * JVM's Attach Listener thread would compete for rank #1 with the hot thread over these short intervals.
     *
     * @param nodes node name for 127.0.0.2, 127.0.0.3, ... in order
     */
    static RealAgents start(String token, String... nodes) throws IOException {
        return start(token, "off", nodes);
    }

    /** As {@link #start(String, String...)} with the default {@code --profile=cpu}. */
    static RealAgents startProfiling(String token, String... nodes) throws IOException {
        return start(token, "cpu", nodes);
    }

    private static RealAgents start(String token, String profile, String[] nodes) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.2"))) {
            port = s.getLocalPort();
        }
        RealAgents all = new RealAgents(port);
        try {
            for (int i = 0; i < nodes.length; i++) {
                Path dumps = Files.createTempDirectory("jdd-router-e2e-" + nodes[i] + "-");
                all.dumpDirs.add(dumps);
                AgentConfig config = AgentConfig.from(Flags.parse(new String[]{
                        "--bind=" + address(i), "--port=" + port, "--token=" + token, "--runtime=local",
                        "--node=" + nodes[i], "--dump-dir=" + dumps, "--interval=500ms", "--threads=10", "--profile=" + profile}, Map.of()), Map.of());
                all.agents.add(Agent.start(config, new LocalRuntime()));
            }
        } catch (IOException | RuntimeException e) {
            all.close();
            throw e;
        }
        return all;
    }

    static String address(int i) {
        return "127.0.0." + (i + 2);
    }

    /** {@code node=http://127.0.0.x:port,...} for {@code --agents}. */
    String agentsFlag(String... nodes) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < nodes.length; i++) {
            sb.append(i == 0 ? "" : ",").append(nodes[i]).append("=http://").append(address(i)).append(':').append(port);
        }
        return sb.toString();
    }

    /** Every finished dump file in agent {@code i}'s folder. */
    List<Path> dumps(int i) throws IOException {
        try (Stream<Path> files = Files.walk(dumpDirs.get(i))) {
            return files.filter(f -> f.getFileName().toString().endsWith(".log")).sorted().toList();
        }
    }

    @Override
    public void close() throws IOException {
        for (Agent a : agents) {
            a.close();
        }
        for (Path dir : dumpDirs) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }
}
