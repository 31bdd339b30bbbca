package dev.jdd.router;

import dev.jdd.common.HttpLimits;
import dev.jdd.common.ConfigException;
import dev.jdd.common.Flags;
import dev.jdd.common.FreePort;
import dev.jdd.common.OneLineLogging;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.staticcontent.ClasspathHandlerConfig;
import io.helidon.webserver.staticcontent.StaticContentFeature;

import java.time.Clock;
import java.util.logging.Logger;

/** The router: {@code java -jar jdd-router.jar --agents=... | --agent-namespace=...}. */
public final class Main {
    private static final Logger LOG = Logger.getLogger(Main.class.getName());

    private Main() {
    }

    /** Everything the routes need, wired once. */
    public record Components(SenderAuth auth, WebhookParser parser, Dispatcher dispatcher, Captures captures,
                             AgentDirectory agents, RouterMetrics metrics, long maxBody, CaptureViews views,
                             GrafanaAnnotations annotations) implements AutoCloseable {
        @Override
        public void close() {
            dispatcher.close();
            annotations.close();
            views.close();
            captures.close();
            agents.close();
        }
    }

    /** The router's HTTP server, with the bounds on slow and unfinished requests; shared by main and the tests. */
    static io.helidon.webserver.WebServerConfig.Builder server(RouterConfig config, Components components) {
        // Twice --max-body: the router's own check answers 413 with its message up to there.
        return HttpLimits.apply(WebServer.builder(), config.maxBody())
                .host(config.bind())
                .port(config.port())
                .routing(r -> routing(r, components));
    }

    public static void main(String[] args) {
        OneLineLogging.install();
        RouterConfig config;
        try {
            Flags flags = Flags.parse(args, System.getenv());
            if (flags.helpRequested()) {
                System.out.print(help());
                System.exit(0);
                return;
            }
            config = RouterConfig.from(flags);
            flags.rejectUnknown();
            FreePort.require(config.bind(), config.port(), flags.form("port"));
        } catch (ConfigException e) {
            System.err.println("jdd router: " + e.getMessage());
            System.exit(2);
            return;
        }
        KubernetesClient kubernetes = config.hasStaticAgents() ? null : new KubernetesClientBuilder().build();
        Components components = wire(config, kubernetes);
        WebServer server = server(config, components).build().start();
        if (!server.isRunning()) {
            // Helidon logged why; the port was free a moment ago, so something took it in between.
            System.err.println("jdd router: cannot listen on " + config.bind() + ":" + config.port());
            components.close();
            System.exit(1);
            return;
        }
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

    /** {@code --help}: every option {@link RouterConfig#from} reads, with its variable, default, range and help line. */
    static String help() {
        return Flags.help("""
                jdd router: takes alert webhooks (Grafana, Alertmanager) and asks the jdd agent on each alerted pod's node
                to capture its busiest Java threads.
                Usage: JDD_TOKEN=... java -jar jdd-router.jar [--agents=node=http://host:8081,...] [--name=value ...]""",
                RouterConfig::from);
    }

    /** @param kubernetes null for static agents (no cluster at all) */
    public static Components wire(RouterConfig config, KubernetesClient kubernetes) {
        if (!config.hasWebhookAuth()) {
            LOG.warning("no webhook authentication configured (--webhook-user/--webhook-password, --webhook-bearer or"
                    + " --webhook-hmac-secret): anyone who reaches this port can trigger captures");
        }
        if (config.webhookHmacSecret() != null && config.webhookUser() == null && config.webhookBearer() == null
                && config.readToken() == null) {
            LOG.warning("only --webhook-hmac-secret is set: /captures needs credentials and an HMAC cannot sign a GET;"
                    + " set --read-token to read the captures");
        }
        if (config.token() == null) {
            LOG.warning("no --token: agents will refuse the router's calls unless they run with --insecure");
        }
        RouterMetrics metrics = new RouterMetrics();
        AgentDirectory agents = kubernetes == null ? new StaticAgents(config.staticAgents())
                : new KubernetesAgents(kubernetes, config.agentNamespace(), config.agentSelector(), config.agentPort());
        PodLookup pods = kubernetes == null ? null : new KubernetesPods(kubernetes);
        AgentClient client = new AgentClient(config.token(), config.connectTimeout(), config.readTimeout());
        if (config.grafanaUrl() != null && config.publicUrl() == null) {
            LOG.warning("--grafana-url without --public-url: Grafana annotations will not link to the capture's page");
        }
        Captures captures = new Captures(agents, client);
        return new Components(
                new SenderAuth(config, Clock.systemUTC()),
                new WebhookParser(config.labels()),
                new Dispatcher(pods, agents, client, config.maxTargets(), config.concurrency(), metrics),
                captures,
                agents,
                metrics,
                config.maxBody(),
                new CaptureViews(captures),
                new GrafanaAnnotations(config.grafanaUrl(), config.grafanaToken(), config.publicUrl(), config.connectTimeout(),
                        config.readTimeout(), metrics, System::currentTimeMillis));
    }

    public static void routing(HttpRouting.Builder routing, Components components) {
        PageHandlers pages = new PageHandlers(components);
        HttpHandlers h = new HttpHandlers(components, pages);
        routing.addFilter((chain, req, res) -> {
            res.header(HeaderNames.create("Content-Security-Policy"), PageHandlers.CSP);
            res.header(HeaderNames.X_CONTENT_TYPE_OPTIONS, "nosniff");
            chain.proceed();
        });
        routing.register("/static", StaticContentFeature.createService(
                        ClasspathHandlerConfig.builder().location(PageHandlers.STATIC_ROOT).build()))
                .post("/hooks", h::hooks)
                .get("/captures", h::captures)
                .get("/captures/{node}/{id}", h::dump)
                .get("/captures/{node}/{id}/summary", pages::summary)
                .get("/captures/{node}/{id}/profile", pages::profile)
                .get("/health", h::health)
                .get("/health/live", (req, res) -> res.send("{\"status\":\"alive\"}"))
                .get("/metrics", h::metrics);
    }
}
