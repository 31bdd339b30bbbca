package dev.jdd.agent;

import dev.jdd.agent.runtime.ContainerRuntime;
import dev.jdd.common.ConfigException;
import dev.jdd.common.Flags;
import dev.jdd.common.OneLineLogging;
import io.helidon.webserver.http.HttpRouting;
import java.io.IOException;
import java.io.UncheckedIOException;

/** {@code java -jar jdd-agent.jar --token=... [--runtime=local] ...}: reads the flags, wires the agent, stops it on SIGTERM. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        OneLineLogging.install();
        AgentConfig config;
        try {
            config = AgentConfig.from(Flags.parse(args, System.getenv()), System.getenv());
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

    /** The agent's routes, shared by {@link #main} and the tests. {@code token} null means no token check (--insecure). */
    public static void routing(HttpRouting.Builder routing, String token, CaptureScheduler scheduler, DumpStore store,
                               AgentMetrics metrics) {
        new AgentHttp(token, scheduler, store, metrics).register(routing);
    }
}
