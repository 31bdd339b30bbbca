package dev.jdd.router;

import dev.jdd.common.ConfigException;
import dev.jdd.common.Flags;
import dev.jdd.common.Names;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

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
        String readToken) {

    /** Which alert labels name the namespace, pod, container and node. */
    public record LabelNames(String namespace, String pod, String container, String node) {
        public static final LabelNames DEFAULT = new LabelNames("namespace", "pod", "container", "node");
    }

    public static RouterConfig from(Flags flags) {
        String user = flags.optional("webhook-user").orElse(null);
        String password = flags.optional("webhook-password").orElse(null);
        if ((user == null) != (password == null)) {
            throw new ConfigException("--webhook-user and --webhook-password go together: give both or neither");
        }
        RouterConfig config = new RouterConfig(
                flags.string("bind", "0.0.0.0"),
                flags.integer("port", 8080, 0, 65535),
                flags.optional("token").orElse(null),
                new LabelNames(
                        labelFlag(flags, "label-namespace", "namespace"),
                        labelFlag(flags, "label-pod", "pod"),
                        labelFlag(flags, "label-container", "container"),
                        labelFlag(flags, "label-node", "node")),
                flags.integer("max-targets", 500, 1, 100_000),
                flags.bytes("max-body", 1 << 20, 1024),
                flags.integer("concurrency", 64, 1, 4096),
                flags.duration("connect-timeout", Duration.ofSeconds(2), Duration.ofMillis(10), Duration.ofMinutes(5)),
                flags.duration("read-timeout", Duration.ofSeconds(5), Duration.ofMillis(10), Duration.ofMinutes(10)),
                user,
                password,
                flags.optional("webhook-bearer").orElse(null),
                flags.optional("webhook-hmac-secret").orElse(null),
                flags.string("webhook-hmac-header", SenderAuth.DEFAULT_HMAC_HEADER),
                flags.string("webhook-hmac-timestamp-header", "X-Grafana-Alerting-Signature-Timestamp"),
                flags.duration("webhook-hmac-max-age", Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofDays(1)),
                parseAgents(flags.optional("agents").orElse("")),
                flags.string("agent-namespace", "jdd"),
                flags.string("agent-selector", "app.kubernetes.io/name=jdd-agent"),
                flags.integer("agent-port", 8081, 1, 65535),
                flags.optional("read-token").orElse(null));
        if (!Names.isLabel(config.agentNamespace)) {
            throw new ConfigException("--agent-namespace=" + config.agentNamespace + ": not a Kubernetes namespace name");
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

    private static String labelFlag(Flags flags, String name, String defaultValue) {
        String v = flags.string(name, defaultValue);
        if (!v.matches("[A-Za-z_][A-Za-z0-9_./-]*") || v.length() > 316) {
            throw new ConfigException("--" + name + "=" + v + ": not a label name");
        }
        return v;
    }

    /** {@code node1=http://10.0.0.5:8081,node2=http://10.0.0.6:8081}. */
    static Map<String, URI> parseAgents(String spec) {
        Map<String, URI> agents = new LinkedHashMap<>();
        if (spec.isBlank()) {
            return agents;
        }
        for (String entry : spec.split(",")) {
            String e = entry.strip();
            int eq = e.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("--agents: '" + e + "' is not node=http://host:port");
            }
            String node = e.substring(0, eq).strip();
            String url = e.substring(eq + 1).strip();
            if (!Names.isSubdomain(node)) {
                throw new ConfigException("--agents: node '" + node + "' is not a Kubernetes node name");
            }
            URI uri;
            try {
                uri = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
            } catch (IllegalArgumentException ex) {
                throw new ConfigException("--agents: '" + url + "' is not a URL");
            }
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new ConfigException("--agents: '" + url + "' is not an http:// or https:// URL with a host");
            }
            if (agents.put(node, uri) != null) {
                throw new ConfigException("--agents: node '" + node + "' is given twice");
            }
        }
        return agents;
    }
}
