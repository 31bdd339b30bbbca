package dev.jdd.router;

import dev.jdd.common.ConfigException;
import dev.jdd.common.Flags;
import dev.jdd.common.OneLineLogging;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;

import java.time.Clock;
import java.util.logging.Logger;

/** The router: {@code java -jar jdd-router.jar --agents=... | --agent-namespace=...}. */
public final class Main {
    private static final Logger LOG = Logger.getLogger(Main.class.getName());

    private Main() {
    }

    /** Everything the routes need, wired once. */
    public record Components(SenderAuth auth, WebhookParser parser, Dispatcher dispatcher, Captures captures,
                             AgentDirectory agents, RouterMetrics metrics, long maxBody) implements AutoCloseable {
        @Override
        public void close() {
            dispatcher.close();
            captures.close();
            agents.close();
        }
    }

    public static void main(String[] args) {
        OneLineLogging.install();
        RouterConfig config;
        try {
            Flags flags = Flags.parse(args, System.getenv());
            config = RouterConfig.from(flags);
            flags.rejectUnknown();
        } catch (ConfigException e) {
            System.err.println("jdd router: " + e.getMessage());
            System.exit(2);
            return;
        }
        KubernetesClient kubernetes = config.hasStaticAgents() ? null : new KubernetesClientBuilder().build();
        Components components = wire(config, kubernetes);
        WebServer server = WebServer.builder()
                .host(config.bind())
                .port(config.port())
                .routing(r -> routing(r, components))
                .build()
                .start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop();
            components.close();
            if (kubernetes != null) {
                kubernetes.close();
            }
        }));
        LOG.info("jdd router listening on " + config.bind() + ":" + server.port() + (config.hasStaticAgents()
                ? " with static agents " + config.staticAgents().keySet()
                : " with agents from namespace " + config.agentNamespace() + " selector " + config.agentSelector()));
    }

    /** @param kubernetes null for static agents (no cluster at all) */
    public static Components wire(RouterConfig config, KubernetesClient kubernetes) {
        if (!config.hasWebhookAuth()) {
            LOG.warning("no webhook authentication configured (--webhook-user/--webhook-password, --webhook-bearer or"
                    + " --webhook-hmac-secret): anyone who reaches this port can trigger captures");
        }
        if (config.token() == null) {
            LOG.warning("no --token: agents will refuse the router's calls unless they run with --insecure");
        }
        RouterMetrics metrics = new RouterMetrics();
        AgentDirectory agents = kubernetes == null ? new StaticAgents(config.staticAgents())
                : new KubernetesAgents(kubernetes, config.agentNamespace(), config.agentSelector(), config.agentPort());
        PodLookup pods = kubernetes == null ? null : new KubernetesPods(kubernetes);
        AgentClient client = new AgentClient(config.token(), config.connectTimeout(), config.readTimeout());
        return new Components(
                new SenderAuth(config, Clock.systemUTC()),
                new WebhookParser(config.labels()),
                new Dispatcher(pods, agents, client, config.maxTargets(), config.concurrency(), metrics),
                new Captures(agents, client),
                agents,
                metrics,
                config.maxBody());
    }

    public static void routing(HttpRouting.Builder routing, Components components) {
        HttpHandlers h = new HttpHandlers(components);
        routing.post("/hooks", h::hooks)
                .get("/captures", h::captures)
                .get("/captures/{node}/{id}", h::dump)
                .get("/captures/{node}/{id}/profile", h::profile)
                .get("/health", h::health)
                .get("/health/live", (req, res) -> res.send("{\"status\":\"alive\"}"))
                .get("/metrics", h::metrics);
    }
}
