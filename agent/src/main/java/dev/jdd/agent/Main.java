package dev.jdd.agent;

import dev.jdd.agent.runtime.ContainerRuntime;
import dev.jdd.common.ConfigException;
import dev.jdd.common.Flags;
import dev.jdd.common.FreePort;
import dev.jdd.common.OneLineLogging;
import io.helidon.webserver.http.HttpRouting;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/** {@code java -jar jdd-agent.jar --token=... [--runtime=local] ...}: reads the flags, wires the agent, stops it on SIGTERM. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        OneLineLogging.install();
        AgentConfig config;
        try {
            Flags flags = Flags.parse(args, System.getenv());
            if (flags.helpRequested()) {
                System.out.print(help());
                System.exit(0);
                return;
            }
            config = AgentConfig.from(flags, System.getenv());
            FreePort.require(config.bind(), config.port(), flags.form("port"));
        } catch (ConfigException e) {
            System.err.println("jdd agent: " + e.getMessage());
            System.exit(2);
            return;
        }
        ContainerRuntime runtime;
        try {
            runtime = RuntimeChoice.open(config);
        } catch (ConfigException e) {
            System.err.println("jdd agent: " + e.getMessage());
            System.exit(2);
            return;
        }
        Agent agent;
        try {
            agent = Agent.start(config, runtime);
        } catch (IOException | UncheckedIOException | IllegalStateException e) {
            System.err.println("jdd agent: cannot start: " + e.getMessage());
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            OneLineLogging.flush();
        }, "jdd-shutdown"));
    }

    /** {@code --help}: every option {@link AgentConfig#from} reads, with its variable, default, range and help line. */
    static String help() {
        return Flags.help("""
                jdd agent: captures the busiest Java threads of a container on this node, on request of the jdd router.
                Usage: JDD_TOKEN=... java -jar jdd-agent.jar [--name=value ...]""", f -> AgentConfig.from(f, Map.of()));
    }

    /** The agent's routes, shared by {@link #main} and the tests. {@code token} null means no token check (--insecure). */
    public static void routing(HttpRouting.Builder routing, String token, CaptureScheduler scheduler, DumpStore store,
                               AgentMetrics metrics) {
        new AgentHttp(token, scheduler, store, metrics).register(routing);
    }
}
