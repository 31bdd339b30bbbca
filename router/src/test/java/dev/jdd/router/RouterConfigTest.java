package dev.jdd.router;

import dev.jdd.common.ConfigException;
import dev.jdd.common.Flags;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RouterConfigTest {

    private static RouterConfig config(Map<String, String> env, String... args) {
        Flags flags = Flags.parse(args, env);
        RouterConfig c = RouterConfig.from(flags);
        flags.rejectUnknown();
        return c;
    }

    @Test
    void defaults() {
        RouterConfig c = config(Map.of());
        assertEquals(8080, c.port());
        assertEquals(RouterConfig.LabelNames.DEFAULT, c.labels());
        assertEquals(500, c.maxTargets());
        assertEquals(1 << 20, c.maxBody());
        assertEquals("app.kubernetes.io/name=jdd-agent", c.agentSelector());
        assertEquals(8081, c.agentPort());
        assertFalse(c.hasStaticAgents());
        assertFalse(c.hasWebhookAuth());
    }

    @Test
    void flagsWinOverEnvironment() {
        RouterConfig c = config(Map.of("JDD_MAX_TARGETS", "10", "JDD_READ_TIMEOUT", "1s"), "--max-targets=20");
        assertEquals(20, c.maxTargets());
        assertEquals(Duration.ofSeconds(1), c.readTimeout());
    }

    @Test
    void staticAgents() {
        RouterConfig c = config(Map.of(), "--agents=node-1=http://10.0.0.5:8081, node-2=http://10.0.0.6:8081/");
        assertTrue(c.hasStaticAgents());
        assertEquals(URI.create("http://10.0.0.6:8081"), c.staticAgents().get("node-2"));
    }

    @Test
    void badValuesStopStartUpWithOneLine() {
        assertThrows(ConfigException.class, () -> config(Map.of(), "--agents=node-1"));
        assertThrows(ConfigException.class, () -> config(Map.of(), "--agents=Node_1=http://x:1"));
        assertThrows(ConfigException.class, () -> config(Map.of(), "--agents=n=ftp://x"));
        assertThrows(ConfigException.class, () -> config(Map.of(), "--agents=n=http://a:1,n=http://b:1"));
        assertThrows(ConfigException.class, () -> config(Map.of(), "--webhook-user=a"));
        assertThrows(ConfigException.class, () -> config(Map.of(), "--label-pod=a b"));
        assertThrows(ConfigException.class, () -> config(Map.of(), "--max-body=lots"));
        assertThrows(ConfigException.class, () -> config(Map.of(), "--agent-namespace=Bad_NS"));
        ConfigException e = assertThrows(ConfigException.class, () -> config(Map.of(), "--no-such-flag=1"));
        assertEquals("unknown option --no-such-flag (--help lists them)", e.getMessage());
    }

    @Test
    void grafanaAnnotationFlags() {
        RouterConfig off = config(Map.of());
        assertEquals(null, off.grafanaUrl());
        RouterConfig c = config(Map.of("JDD_GRAFANA_TOKEN", "glsa_x"), "--grafana-url=https://grafana.example.com/",
                "--public-url=https://jdd.example.com/");
        assertEquals(URI.create("https://grafana.example.com"), c.grafanaUrl());
        assertEquals("glsa_x", c.grafanaToken());
        assertEquals("https://jdd.example.com", c.publicUrl(), "no trailing slash: links append /captures/...");
        ConfigException noToken = assertThrows(ConfigException.class, () -> config(Map.of(), "--grafana-url=http://g:3000"));
        assertEquals("--grafana-url needs --grafana-token (a Grafana service-account token with annotations:create)",
                noToken.getMessage());
        ConfigException noTokenByEnv = assertThrows(ConfigException.class,
                () -> config(Map.of("JDD_GRAFANA_URL", "http://g:3000")));
        assertEquals("JDD_GRAFANA_URL needs JDD_GRAFANA_TOKEN (a Grafana service-account token with annotations:create)",
                noTokenByEnv.getMessage());
        ConfigException bad = assertThrows(ConfigException.class,
                () -> config(Map.of(), "--grafana-url=grafana:3000", "--grafana-token=t"));
        assertTrue(bad.getMessage().startsWith("--grafana-url=grafana:3000"), bad.getMessage());
        ConfigException ftp = assertThrows(ConfigException.class, () -> config(Map.of("JDD_PUBLIC_URL", "ftp://x")));
        assertEquals("JDD_PUBLIC_URL=ftp://x: not an http:// or https:// URL with a host (and no query)", ftp.getMessage());
        assertThrows(ConfigException.class, () -> config(Map.of(), "--public-url=https://x/?a=1"));
        ConfigException agent = assertThrows(ConfigException.class, () -> config(Map.of("JDD_AGENTS", "n=ftp://x")));
        assertEquals("JDD_AGENTS: 'ftp://x' is not an http:// or https:// URL with a host", agent.getMessage());
    }
}
