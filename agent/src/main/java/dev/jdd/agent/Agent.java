package dev.jdd.agent;

import dev.jdd.agent.node.NodeCapture;
import dev.jdd.agent.runtime.ContainerRuntime;
import dev.jdd.common.HttpLimits;
import io.helidon.webserver.WebServer;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * A running agent: dump store, scheduler and HTTP server wired together. {@code main} starts one; tests (also the
 * router's) start them in-process on a given address, or port 0 for a free one, and {@link #close()} them.
 */
public final class Agent implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Agent.class.getName());
    static final String SCRIPT_RESOURCE = "/dev/jdd/agent/craw.sh";

    private final AgentConfig config;
    private final ContainerRuntime runtime;
    private final CaptureScheduler scheduler;
    private final WebServer server;
    private final RetentionTimer retention;
    private final LeftoverFolders leftovers;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Agent(AgentConfig config, ContainerRuntime runtime, CaptureScheduler scheduler, WebServer server,
                  RetentionTimer retention, LeftoverFolders leftovers) {
        this.config = config;
        this.runtime = runtime;
        this.scheduler = scheduler;
        this.server = server;
        this.retention = retention;
        this.leftovers = leftovers;
    }

    /** Starts an agent with the craw.sh on the classpath. The agent owns {@code runtime} and closes it. */
    public static Agent start(AgentConfig config, ContainerRuntime runtime) throws IOException {
        return start(config, runtime, crawScript());
    }

    /** Starts an agent that runs {@code script} as its capture script (tests with a fake runtime). */
    public static Agent start(AgentConfig config, ContainerRuntime runtime, byte[] script) throws IOException {
        Clock clock = Clock.systemUTC();
        DumpStore store = new DumpStore(config.dumpDir(), config.node(), runtime.name(), config.retentionBytes(), config.retentionAge(), clock);
        try {
            store.open();
        } catch (IOException e) {
            throw new IOException("dump folder " + config.dumpDir().toAbsolutePath() + " is not usable: " + e, e);
        }
        AgentMetrics metrics = new AgentMetrics();
        LeftoverFolders leftovers = new LeftoverFolders(runtime);
        CaptureRunner runner = new CaptureRunner(runtime, script, config, clock, NodeCapture.onThisNode(), leftovers);
        CaptureScheduler scheduler = new CaptureScheduler(config, runtime, runner, store, metrics, clock);
        WebServer server = HttpLimits.apply(WebServer.builder(), AgentConfig.MAX_BODY_BYTES)
                .host(config.bind())
                .port(config.port())
                // Our own shutdown hook stops the server last, after the captures are recorded.
                .shutdownHook(false)
                .routing(routing -> Main.routing(routing, config.token(), scheduler, store, metrics))
                .build()
                .start();
        if (!server.isRunning()) {
            // Helidon logs why and returns a stopped server instead of throwing.
            scheduler.shutdown(java.time.Duration.ZERO);
            leftovers.close();
            throw new IOException("cannot listen on " + config.bind() + ":" + config.port()
                    + " (port in use, or not an address of this host)");
        }
        LOG.info("node=" + config.node() + " agent ready on " + config.bind() + ":" + server.port() + ", runtime "
                + runtime.name() + ", " + config.slots() + " slots, queue " + config.queue() + ", dumps in "
                + config.dumpDir().toAbsolutePath());
        return new Agent(config, runtime, scheduler, server, new RetentionTimer(store, RetentionTimer.PERIOD), leftovers);
    }

    /** craw.sh as the build put it on the classpath (from {@code scripts/craw.sh}). */
    public static byte[] crawScript() throws IOException {
        try (InputStream in = Agent.class.getResourceAsStream(SCRIPT_RESOURCE)) {
            if (in == null) {
                throw new IOException("craw.sh is not on the classpath at " + SCRIPT_RESOURCE + " (build with scripts/craw.sh present)");
            }
            return in.readAllBytes();
        }
    }

    public int port() {
        return server.port();
    }

    /**
     * Stops gracefully: answers {@code stopping} from now on, lets running captures finish within
     * {@code --shutdown-grace}, records the rest as interrupted, then stops the server and closes the runtime.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        scheduler.shutdown(config.shutdownGrace());
        retention.close();
        leftovers.close();
        server.stop();
        runtime.close();
        LOG.info("node=" + config.node() + " agent stopped");
    }
}
