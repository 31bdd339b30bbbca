package dev.jdd.router;

import dev.jdd.common.Admission;
import dev.jdd.common.CaptureRequest;
import dev.jdd.common.Outcome;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A real Prometheus Alertmanager posts to a real router, which forwards to a fake agent on 127.0.0.2. Alertmanager
 * authenticates with a bearer token, and retries when the router answers 503 (the agent was busy).
 */
class AlertmanagerIT {
    private static final String TOKEN = "agent-token";

    @Test
    void alertPostedToAlertmanagerReachesTheAgentAndA503IsRetried() throws Exception {
        assumeTrue(Files.isExecutable(RealAlertmanager.BINARY),
                "prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)");
        AtomicInteger calls = new AtomicInteger();
        try (FakeAgent agent = FakeAgent.start("127.0.0.2", 0, TOKEN);
             TestRouter router = TestRouter.start(null, "--agents=worker-1=" + agent.uri(), "--token=" + TOKEN,
                     "--webhook-bearer=am-secret")) {
            agent.answer = r -> calls.incrementAndGet() == 1 ? Admission.of(Outcome.BUSY) : Admission.of(Outcome.ACCEPTED, "cap-1");
            try (RealAlertmanager am = RealAlertmanager.start("""
                      - url: http://127.0.0.1:%d/hooks
                        send_resolved: true
                        http_config:
                          authorization:
                            credentials: am-secret
                    """.formatted(router.server.port()))) {
                am.fire(List.of("{\"alertname\":\"JvmCpuHigh\",\"namespace\":\"shop\",\"pod\":\"checkout-1\","
                        + "\"container\":\"app\",\"node\":\"worker-1\",\"severity\":\"page\"}"));
                for (int i = 0; i < 600 && calls.get() < 2; i++) {
                    Thread.sleep(100);
                }
                assertTrue(calls.get() >= 2, "Alertmanager retried after the 503; log:\n" + am.log());
                CaptureRequest first = agent.requests.getFirst();
                assertEquals(List.of("shop", "checkout-1", "app"), List.of(first.namespace(), first.pod(), first.container()));
                assertEquals("JvmCpuHigh", first.alert().name());
                assertEquals(null, first.alert().labels(), "labels are not forwarded: the agent never reads them");
                assertTrue(router.get("/metrics").body().contains("jdd_router_webhooks_total{format=\"alertmanager\",status=\"503\"} 1"));
                assertTrue(router.get("/metrics").body().contains("jdd_router_webhooks_total{format=\"alertmanager\",status=\"202\"}"));
            }
        }
    }

    @Test
    void wrongCredentialsAreRefusedAndNothingIsCaptured() throws Exception {
        assumeTrue(Files.isExecutable(RealAlertmanager.BINARY), "prometheus-alertmanager is not installed");
        try (FakeAgent agent = FakeAgent.start("127.0.0.2", 0, TOKEN);
             TestRouter router = TestRouter.start(null, "--agents=worker-1=" + agent.uri(), "--token=" + TOKEN,
                     "--webhook-bearer=am-secret")) {
            try (RealAlertmanager am = RealAlertmanager.start("""
                      - url: http://127.0.0.1:%d/hooks
                        http_config:
                          authorization:
                            credentials: wrong
                    """.formatted(router.server.port()))) {
                am.fire(List.of("{\"alertname\":\"JvmCpuHigh\",\"namespace\":\"shop\",\"pod\":\"checkout-1\","
                        + "\"container\":\"app\",\"node\":\"worker-1\"}"));
                String metrics = "";
                for (int i = 0; i < 300 && !metrics.contains("status=\"401\""); i++) {
                    Thread.sleep(100);
                    metrics = router.get("/metrics").body();
                }
                assertTrue(metrics.contains("jdd_router_webhooks_total{format=\"unknown\",status=\"401\"}"), metrics);
                assertEquals(0, agent.requests.size());
            }
        }
    }
}
