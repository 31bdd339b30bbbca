package dev.jdd.router;

import dev.jdd.common.Admission;
import dev.jdd.common.CaptureRequest;
import dev.jdd.common.Outcome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.verifyNoMoreInteractions;
import static org.mockito.Mockito.when;

/**
 * Placement and agent lookup: dry runs against a hand-written pod lookup and static fake agents on loopback, and real
 * dispatch against a mocked agent client (what each target is asked, and how each answer is reported).
 */
class DispatcherTest {
    private static final CaptureRequest.Alert ALERT = new CaptureRequest.Alert("a", null, Map.of());
    private final AtomicInteger lookups = new AtomicInteger();
    private final PodLookup pods = (namespace, pod) -> {
        lookups.incrementAndGet();
        return switch (pod) {
            case "two" -> Optional.of(new PodLookup.PodPlace("node-a", List.of("app", "sidecar")));
            case "one" -> Optional.of(new PodLookup.PodPlace("node-b", List.of("app")));
            case "pending" -> Optional.of(new PodLookup.PodPlace(null, List.of("app")));
            case "boom" -> throw new IllegalStateException("connection refused\nmore");
            default -> Optional.empty();
        };
    };
    private static FakeAgent agentA;
    private static FakeAgent agentB;
    private Dispatcher dispatcher;

    @BeforeAll
    static void startAgents() throws IOException {
        agentA = FakeAgent.start("127.0.0.2", 0, "t");
        agentB = FakeAgent.start("127.0.0.3", 0, "t");
    }

    @AfterAll
    static void stopAgents() {
        agentA.close();
        agentB.close();
    }

    @BeforeEach
    void start() {
        dispatcher = new Dispatcher(pods, new StaticAgents(Map.of("node-a", agentA.uri(), "node-b", agentB.uri())),
                new AgentClient("t", Duration.ofSeconds(1), Duration.ofSeconds(1)), 5, 4, new RouterMetrics());
    }

    @AfterEach
    void close() {
        dispatcher.close();
    }

    private HookResult run(AlertTarget... targets) throws InterruptedException {
        return dispatcher.dispatch(new ParsedWebhook(WebhookFormat.ALERTMANAGER, List.of(targets)), true);
    }

    private static AlertTarget t(String pod, String container, String node) {
        return new AlertTarget("ns", pod, container, node, ALERT);
    }

    private static List<String> lines(HookResult r) {
        return r.targets().stream().map(x -> x.pod() + "/" + x.container() + "@" + x.node() + "=" + x.outcome().wire()).toList();
    }

    @Test
    void placementFillsNodeAndEachContainer() throws InterruptedException {
        HookResult r = run(t("two", null, null), t("one", "app", null), t("two", "app", "node-a"));
        assertEquals(List.of("two/app@node-a=dry-run", "two/sidecar@node-a=dry-run", "one/app@node-b=dry-run"), lines(r));
        assertEquals(202, r.httpStatus());
    }

    @Test
    void fullyLabelledTargetsNeedNoLookup() throws InterruptedException {
        run(t("x", "app", "node-a"));
        assertEquals(0, lookups.get());
    }

    @Test
    void unknownPendingAndApiFailures() throws InterruptedException {
        HookResult r = run(t("gone", null, null), t("pending", null, null), t("boom", null, null), t("one", "app", "node-z"));
        assertEquals(List.of(Outcome.NOT_FOUND, Outcome.NOT_FOUND, Outcome.ERROR, Outcome.NO_AGENT),
                r.targets().stream().map(TargetResult::outcome).toList());
        assertEquals("cannot ask the Kubernetes API for the pod: connection refused", r.targets().get(2).detail());
        assertEquals("node node-z is not in --agents (known: node-a, node-b)", r.targets().get(3).detail());
        assertEquals(503, r.httpStatus());
    }

    @Test
    void invalidNamesNeverReachTheLookup() throws InterruptedException {
        HookResult r = run(t("../etc", null, null), new AlertTarget(null, "p", "c", "node-a", ALERT), t("ok", "c", "Node_A"));
        assertEquals(List.of("pod is not a DNS-1123 subdomain (lower-case letters, digits and '-')", "namespace is missing",
                        "node is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.')"),
                r.targets().stream().map(TargetResult::detail).toList());
        assertEquals(0, lookups.get());
    }

    @Test
    void maxTargetsCountsContainersAfterPlacementToo() {
        HookException e = assertThrows(HookException.class,
                () -> run(t("two", null, null), new AlertTarget("ns2", "two", null, null, ALERT), t("a", "c", "node-a"),
                        t("b", "c", "node-a"), t("c", "c", "node-a")));
        assertEquals(400, e.status());
    }

    @Test
    void eachPlacedTargetIsAskedOnceAtItsNodesAgentAndItsAnswerReported() throws Exception {
        AgentClient client = mock(AgentClient.class);
        URI nodeA = URI.create("http://127.0.0.2:1");
        URI nodeB = URI.create("http://127.0.0.3:1");
        when(client.capture(eq(nodeA), any(), eq(false))).thenAnswer(call -> switch (call.getArgument(1, CaptureRequest.class).container()) {
            case "app" -> Admission.of(Outcome.ACCEPTED, "0123456789abcdef");
            default -> Admission.of(Outcome.BUSY);
        });
        when(client.capture(eq(nodeB), any(), eq(false))).thenThrow(new AgentClient.AgentUnreachableException("cannot connect to the agent"));
        try (Dispatcher real = new Dispatcher(pods, new StaticAgents(Map.of("node-a", nodeA, "node-b", nodeB)), client, 5, 4,
                new RouterMetrics())) {
            HookResult r = real.dispatch(new ParsedWebhook(WebhookFormat.ALERTMANAGER,
                    List.of(t("two", null, null), t("one", "app", null))), false);

            assertEquals(List.of("two/app@node-a=accepted", "two/sidecar@node-a=busy", "one/app@node-b=agent-unreachable"), lines(r));
            assertEquals("0123456789abcdef", r.targets().get(0).captureId());
            assertEquals("cannot connect to the agent (http://127.0.0.3:1)", r.targets().get(2).detail());
            assertEquals(503, r.httpStatus(), "busy and unreachable are worth a retry");
        }
        verify(client).capture(nodeA, new CaptureRequest("ns", "two", "app", Dispatcher.forwarded(ALERT)), false);
        verify(client).capture(nodeA, new CaptureRequest("ns", "two", "sidecar", Dispatcher.forwarded(ALERT)), false);
        verify(client).capture(nodeB, new CaptureRequest("ns", "one", "app", Dispatcher.forwarded(ALERT)), false);
        verifyNoMoreInteractions(client);
    }

    @Test
    void aDryRunAsksTheAgentForADryRunAndNeverForACapture() throws Exception {
        AgentClient client = mock(AgentClient.class);
        URI nodeA = URI.create("http://127.0.0.2:1");
        when(client.capture(eq(nodeA), any(), eq(true))).thenReturn(Admission.of(Outcome.DRY_RUN));
        try (Dispatcher dry = new Dispatcher(pods, new StaticAgents(Map.of("node-a", nodeA)), client, 5, 4,
                new RouterMetrics())) {
            assertEquals(List.of("x/app@node-a=dry-run"), lines(dry.dispatch(new ParsedWebhook(WebhookFormat.ALERTMANAGER,
                    List.of(t("x", "app", "node-a"))), true)));
        }
        verify(client).capture(nodeA, new CaptureRequest("ns", "x", "app", Dispatcher.forwarded(ALERT)), true);
        verifyNoMoreInteractions(client);
    }

    @Test
    void eachResultCarriesItsAlertsOriginButTheAnswerDoesNotShowIt() throws InterruptedException {
        AlertTarget.Origin panel = new AlertTarget.Origin("uid1", null, 4L, 1_700_000_000_000L);
        AlertTarget.Origin other = new AlertTarget.Origin(null, null, null, 1_700_000_001_000L);
        HookResult r = run(new AlertTarget("ns", "two", null, null, ALERT, panel), new AlertTarget("ns", "one", "app", "node-b", ALERT, other),
                new AlertTarget("ns", "../x", "app", "node-b", ALERT, panel));
        assertEquals(List.of(panel, panel, other, panel), r.targets().stream().map(TargetResult::origin).toList(),
                "both containers placed from the first alert, the answered invalid one too");
        String answer = new String(dev.jdd.common.Json.write(r), java.nio.charset.StandardCharsets.UTF_8);
        assertFalse(answer.contains("origin") || answer.contains("uid1"), answer);
    }
}
