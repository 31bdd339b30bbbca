package dev.jdd.agent;

import dev.jdd.common.ConfigException;
import dev.jdd.common.Flags;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The agent's configuration, read once from flags ({@code --name=value}) or environment ({@code JDD_NAME}) at
 * start-up. Defaults live at the read site in {@link #from(Flags, Map)}.
 *
 * @param bind           address the HTTP server listens on
 * @param port           HTTP port; 0 picks a free one (tests)
 * @param token          bearer token every {@code /v1} call must carry; null only with {@code insecure}
 * @param insecure       run without a token
 * @param threads        busiest threads per capture ({@code craw.sh -n})
 * @param interval       sampling interval ({@code craw.sh -i})
 * @param slots          captures that run at once, exactly
 * @param queue          captures that may wait for a slot
 * @param cooldown       per container, after a capture reached it
 * @param execTimeout    after which the script is ended and the capture recorded as timed out
 * @param runtime        {@code auto} (the first CRI endpoint that answers, else Docker), {@code cri}, {@code docker}
 *                       or {@code local}
 * @param dockerHost     dockerd's socket (the Docker daemon)
 * @param node           node name for dump headers and logs
 * @param dumpDir        where dumps are written
 * @param retentionBytes dumps kept at most, in bytes
 * @param retentionAge   dumps kept at most, in age
 * @param shutdownGrace  on SIGTERM, how long running captures may take to finish
 * @param engine         {@code script} (craw.sh in the container), {@code node} (the node engine, from the node's
 *                       /proc) or {@code auto} (the script, else the node engine where the script cannot work)
 * @param profile        {@code cpu} (a JFR CPU profile of the target over the interval, beside each dump) or {@code off}
 * @param runtimeEndpoint the CRI socket ({@code --runtime-endpoint}, crictl's name), or null for the usual candidates
 */
public record AgentConfig(String bind, int port, String token, boolean insecure, int threads, Duration interval,
                          int slots, int queue, Duration cooldown, Duration execTimeout, String runtime,
                          String dockerHost, String node, Path dumpDir, long retentionBytes, Duration retentionAge,
                          Duration shutdownGrace, String engine, String profile, String runtimeEndpoint) {

    public static final List<String> ENGINES = List.of("script", "node", "auto");
    public static final List<String> PROFILES = List.of("cpu", "off");

    public static final List<String> RUNTIMES = List.of("auto", "cri", "docker", "local");

    public static final long MAX_BODY_BYTES = 64 * 1024;

    /** {@code runtime}, {@code engine} and {@code profile} are checked where they are read ({@link Flags#choice}). */
    public AgentConfig {
        if (token == null && !insecure) {
            throw new ConfigException("no token: set --token (or JDD_TOKEN), or pass --insecure to run without one");
        }
    }

    /** Reads every agent flag; {@code env} is the process environment (for {@code NODE_NAME}). */
    public static AgentConfig from(Flags flags, Map<String, String> env) {
        AgentConfig config = new AgentConfig(
                flags.string("bind", "0.0.0.0", "Address the HTTP server listens on."),
                flags.integer("port", 8081, 0, 65535, "HTTP port (0 picks a free one; the 'agent ready' log line names it)."),
                flags.optional("token", "Bearer token every /v1 call must carry; required unless --insecure."
                        + " Prefer the variable: a flag is visible in ps.").orElse(null),
                flags.bool("insecure", "Run without a token (trying jdd out; never on a shared network)."),
                flags.integer("threads", 50, 1, 10_000, "Busiest threads per capture (craw.sh -n)."),
                flags.duration("interval", Duration.ofSeconds(2), Duration.ofMillis(100), Duration.ofMinutes(1),
                        "Sampling interval of a capture (craw.sh -i)."),
                flags.integer("slots", 10, 1, 1_000, "Captures that run at once on the node, exactly."),
                flags.integer("queue", 100, 0, 100_000, "Captures that wait for a slot; beyond that requests get busy."),
                flags.duration("cooldown", Duration.ofMinutes(5), Duration.ZERO, Duration.ofDays(7),
                        "A container is not captured again within this time after a capture reached it (0s: off)."),
                flags.duration("exec-timeout", Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofHours(1),
                        "After this the script and everything it started are ended (timed-out); must exceed --interval by 1s."),
                flags.choice("runtime", "auto", RUNTIMES, "Container runtime: auto (the first CRI endpoint that answers among"
                        + " the usual sockets, else Docker), cri (--runtime-endpoint), docker (--docker-host) or local (the host"
                        + " is the node, JVMs are containers)."),
                flags.string("docker-host", "unix:///var/run/docker.sock", "The Docker engine's socket."),
                flags.string("node", defaultNode(env), "Node name in dump headers and logs (default: NODE_NAME, else the host name)."),
                Path.of(flags.string("dump-dir", "./stacks", "Where dumps are written.")),
                flags.bytes("retention-bytes", 1L << 30, 1L << 20, "Dumps kept at most, by size (oldest day first)."),
                flags.duration("retention-age", Duration.ofDays(7), Duration.ofHours(1), Duration.ofDays(3650),
                        "Dumps kept at most, by age."),
                flags.duration("shutdown-grace", Duration.ofSeconds(20), Duration.ZERO, Duration.ofHours(1),
                        "On SIGTERM, how long running captures may take to finish."),
                flags.choice("engine", "auto", ENGINES, "script (craw.sh in the container), node (from the node, nothing"
                        + " runs in the container) or auto (the node engine where the agent reaches the JVM from the node; the script where"
                        + " it cannot)."),
                flags.choice("profile", "cpu", PROFILES, "cpu (a JFR CPU profile of the target over the interval, written"
                        + " beside each dump as <dump>.collapsed) or off."),
                flags.optional("runtime-endpoint", "The CRI socket for --runtime=cri (crictl's name), e.g."
                        + " unix:///run/containerd/containerd.sock; default: the first of the usual sockets that answers.")
                        .orElse(null));
        flags.rejectUnknown();
        if (config.execTimeout.compareTo(config.interval.plusSeconds(1)) < 0) {
            throw flags.bad("exec-timeout", config.execTimeout.toMillis() + "ms", "must exceed " + flags.form("interval")
                    + " by at least 1s");
        }
        try {
            InetAddress.getByName(config.bind);
        } catch (UnknownHostException e) {
            throw flags.bad("bind", config.bind, "not an address this host knows");
        }
        return config;
    }

    /**
     * Defaults for tests: loopback, a free port, the local runtime, the script engine only, no profile, no token check
     * unless one is given.
     */
    public static AgentConfig forTest(Path dumpDir, String token) {
        return new AgentConfig("127.0.0.1", 0, token, token == null, 50, Duration.ofSeconds(2), 10, 100,
                Duration.ofMinutes(5), Duration.ofSeconds(30), "local", "unix:///var/run/docker.sock", "test-node",
                dumpDir, 1L << 30, Duration.ofDays(7), Duration.ofSeconds(20), "script", "off", null);
    }

    public AgentConfig withBind(String bind, int port) {
        return new AgentConfig(bind, port, token, insecure, threads, interval, slots, queue, cooldown, execTimeout,
                runtime, dockerHost, node, dumpDir, retentionBytes, retentionAge, shutdownGrace, engine, profile, runtimeEndpoint);
    }

    public AgentConfig withLimits(int slots, int queue, Duration cooldown) {
        return new AgentConfig(bind, port, token, insecure, threads, interval, slots, queue, cooldown, execTimeout,
                runtime, dockerHost, node, dumpDir, retentionBytes, retentionAge, shutdownGrace, engine, profile, runtimeEndpoint);
    }

    public AgentConfig withCapture(int threads, Duration interval, Duration execTimeout) {
        return new AgentConfig(bind, port, token, insecure, threads, interval, slots, queue, cooldown, execTimeout,
                runtime, dockerHost, node, dumpDir, retentionBytes, retentionAge, shutdownGrace, engine, profile, runtimeEndpoint);
    }

    public AgentConfig withEngine(String engine) {
        return new AgentConfig(bind, port, token, insecure, threads, interval, slots, queue, cooldown, execTimeout,
                runtime, dockerHost, node, dumpDir, retentionBytes, retentionAge, shutdownGrace, engine, profile, runtimeEndpoint);
    }

    public AgentConfig withProfile(String profile) {
        return new AgentConfig(bind, port, token, insecure, threads, interval, slots, queue, cooldown, execTimeout,
                runtime, dockerHost, node, dumpDir, retentionBytes, retentionAge, shutdownGrace, engine, profile, runtimeEndpoint);
    }

    private static String defaultNode(Map<String, String> env) {
        String node = env.get("NODE_NAME");
        if (node != null && !node.isBlank()) {
            return node.strip();
        }
        // The kernel's host name, not InetAddress.getLocalHost(): that asks DNS and can stall start-up.
        try {
            String host = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            if (!host.isEmpty()) {
                return host;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        String host = env.get("HOSTNAME");
        return host != null && !host.isBlank() ? host.strip() : "localhost";
    }
}
