package dev.jdd.router;

import dev.jdd.common.ConfigException;
import dev.jdd.common.Flags;
import dev.jdd.common.Names;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the router is told at start-up, read once from flags / {@code JDD_*} variables, defaults at the read site.
 * {@code staticAgents} non-empty means "no cluster": agents come from {@code --agents} and pods are never looked up.
 */
public record RouterConfig(
        String bind,
        int port,
        String token,
        LabelNames labels,
        int maxTargets,
        long maxBody,
        int concurrency,
        Duration connectTimeout,
        Duration readTimeout,
        String webhookUser,
        String webhookPassword,
        String webhookBearer,
        String webhookHmacSecret,
        String webhookHmacHeader,
        String webhookHmacTimestampHeader,
        Duration webhookHmacMaxAge,
        Map<String, URI> staticAgents,
        String agentNamespace,
        String agentSelector,
        int agentPort,
        URI grafanaUrl,
        String grafanaToken,
        String publicUrl,
        String readToken) {

    /** Which alert labels name the namespace, pod, container and node. */
    public record LabelNames(String namespace, String pod, String container, String node) {
        public static final LabelNames DEFAULT = new LabelNames("namespace", "pod", "container", "node");
    }

    public static RouterConfig from(Flags flags) {
        String user = flags.optional("webhook-user", "HTTP basic user senders must use (with --webhook-password).").orElse(null);
        String password = flags.optional("webhook-password", "HTTP basic password senders must use (with --webhook-user).")
                .orElse(null);
        if ((user == null) != (password == null)) {
            throw new ConfigException(flags.form("webhook-user") + " and " + flags.form("webhook-password")
                    + " go together: give both or neither");
        }
        RouterConfig config = new RouterConfig(
                flags.string("bind", "0.0.0.0", "Address the HTTP server listens on."),
                flags.integer("port", 8080, 0, 65535, "HTTP port (0 picks a free one)."),
                flags.optional("token", "The agents' bearer token, sent with every call to an agent."
                        + " Prefer the variable: a flag is visible in ps.").orElse(null),
                new LabelNames(
                        labelFlag(flags, "label-namespace", "namespace", "Alert label that names the namespace."),
                        labelFlag(flags, "label-pod", "pod", "Alert label that names the pod."),
                        labelFlag(flags, "label-container", "container", "Alert label that names the container (optional in the alert)."),
                        labelFlag(flags, "label-node", "node", "Alert label that names the node (optional in the alert).")),
                flags.integer("max-targets", 500, 1, 100_000, "Most distinct targets one webhook may name; more is 400, nothing captured."),
                flags.bytes("max-body", 1 << 20, 1024, "Largest webhook body; more is 413."),
                flags.integer("concurrency", 64, 1, 4096, "Most calls to agents and to the Kubernetes API in flight at once."),
                flags.duration("connect-timeout", Duration.ofSeconds(2), Duration.ofMillis(10), Duration.ofMinutes(5),
                        "Connecting to an agent."),
                flags.duration("read-timeout", Duration.ofSeconds(5), Duration.ofMillis(10), Duration.ofMinutes(10),
                        "Waiting for an agent's answer."),
                user,
                password,
                flags.optional("webhook-bearer", "Bearer token senders may use (Authorization: Bearer ...).").orElse(null),
                flags.optional("webhook-hmac-secret", "Secret of Grafana's HMAC signature (X-Grafana-Alerting-Signature).")
                        .orElse(null),
                flags.string("webhook-hmac-header", SenderAuth.DEFAULT_HMAC_HEADER, "Header that carries the HMAC signature."),
                flags.string("webhook-hmac-timestamp-header", "X-Grafana-Alerting-Signature-Timestamp",
                        "Header that carries the signed timestamp, when Grafana sends one."),
                flags.duration("webhook-hmac-max-age", Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofDays(1),
                        "A signed timestamp older or newer than this is refused (replays)."),
                parseAgents(flags.form("agents"), flags.optional("agents", "Static agents node1=http://10.0.0.5:8081,node2=...:"
                        + " no cluster at all. Without it, agents are found through the Kubernetes API.").orElse("")),
                flags.string("agent-namespace", "jdd", "Namespace of the agent pods (Kubernetes discovery)."),
                flags.string("agent-selector", "app.kubernetes.io/name=jdd-agent", "Label selector of the agent pods."),
                flags.integer("agent-port", 8081, 1, 65535, "Port of the agents on their pod IP."),
                httpUrl(flags, "grafana-url", "Grafana to annotate with each accepted capture (its base URL)."),
                flags.optional("grafana-token", "Grafana service-account token with annotations:create (Bearer).").orElse(null),
                Optional.ofNullable(httpUrl(flags, "public-url", "The router's address as users reach it, for links in annotations."))
                        .map(URI::toString).orElse(null),
                flags.optional("read-token", "Token that GET /captures* accepts (Authorization: Bearer ...), for setups whose"
                        + " senders use only the HMAC signature.").orElse(null));
        if (config.grafanaUrl != null && config.grafanaToken == null) {
            String url = flags.form("grafana-url");
            // In the form the user gave the URL: a JDD_GRAFANA_URL user configures by environment.
            String token = url.startsWith("--") ? "--grafana-token" : Flags.envName("grafana-token");
            throw new ConfigException(url + " needs " + token + " (a Grafana service-account token with annotations:create)");
        }

        if (!Names.isLabel(config.agentNamespace)) {
            throw flags.bad("agent-namespace", config.agentNamespace, "not a Kubernetes namespace name");
        }
        return config;
    }

    public boolean hasStaticAgents() {
        return !staticAgents.isEmpty();
    }

    public boolean hasWebhookAuth() {
        return webhookUser != null || webhookBearer != null || webhookHmacSecret != null;
    }

    /** Whether {@code /captures} is open to anyone: only when no credential at all is configured. */
    public boolean readsOpen() {
        return !hasWebhookAuth() && readToken == null;
    }

    private static String labelFlag(Flags flags, String name, String defaultValue, String help) {
        String v = flags.string(name, defaultValue, help);
        if (!v.matches("[A-Za-z_][A-Za-z0-9_./-]*") || v.length() > 316) {
            throw flags.bad(name, v, "not a label name");
        }
        return v;
    }

    /** An optional http(s) URL flag, without a trailing slash; null when not given. */
    private static URI httpUrl(Flags flags, String name, String help) {
        String v = flags.optional(name, help).map(String::strip).orElse(null);
        if (v == null || v.isEmpty()) {
            return null;
        }
        try {
            return parseHttpUrl(v, true);
        } catch (IllegalArgumentException e) {
            throw flags.bad(name, v, e.getMessage());
        }
    }

    /**
     * {@code text} as an http(s) URL with a host, without a trailing slash; with {@code bare}, also without query or
     * fragment. An {@link IllegalArgumentException} says what it is not.
     */
    private static URI parseHttpUrl(String text, boolean bare) {
        URI uri;
        try {
            uri = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a URL");
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                || bare && (uri.getRawQuery() != null || uri.getRawFragment() != null)) {
            throw new IllegalArgumentException("not an http:// or https:// URL with a host" + (bare ? " (and no query)" : ""));
        }
        return uri;
    }

    /**
     * {@code node1=http://10.0.0.5:8081,node2=http://10.0.0.6:8081}.
     *
     * @param form how the user gave the option ({@code --agents} or {@code JDD_AGENTS}), for messages
     */
    static Map<String, URI> parseAgents(String form, String spec) {
        Map<String, URI> agents = new LinkedHashMap<>();
        if (spec.isBlank()) {
            return agents;
        }
        for (String entry : spec.split(",")) {
            String e = entry.strip();
            int eq = e.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException(form + ": '" + e + "' is not node=http://host:port");
            }
            String node = e.substring(0, eq).strip();
            String url = e.substring(eq + 1).strip();
            if (!Names.isSubdomain(node)) {
                throw new ConfigException(form + ": node '" + node + "' is not a Kubernetes node name");
            }
            URI uri;
            try {
                uri = parseHttpUrl(url, false);
            } catch (IllegalArgumentException ex) {
                throw new ConfigException(form + ": '" + url + "' is " + ex.getMessage());
            }
            if (agents.put(node, uri) != null) {
                throw new ConfigException(form + ": node '" + node + "' is given twice");
            }
        }
        return agents;
    }
}
