package dev.jdd.router;

import dev.jdd.common.CaptureInfo;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

/** One capture's dump or profile and its running state, as the node's agent answers them (agent client mocked). */
class CapturesTest {
    private static final URI AGENT = URI.create("http://127.0.0.2:8081");
    private final AgentClient client = mock(AgentClient.class);
    private final Captures captures = new Captures(new StaticAgents(Map.of("node-1", AGENT)), client);

    private static AgentClient.Dump answer(int status, String body) {
        return new AgentClient.Dump(status, new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aDumpOrProfileIsPassedOnOpen() throws Exception {
        when(client.dump(AGENT, "c1")).thenReturn(answer(200, "# jdd-capture: 1\n"));
        when(client.profile(AGENT, "c1")).thenReturn(answer(200, "a;b 3\n"));
        try (InputStream in = captures.text("node-1", "c1", Captures.Text.DUMP).orElseThrow()) {
            assertEquals("# jdd-capture: 1\n", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        try (InputStream in = captures.text("node-1", "c1", Captures.Text.PROFILE).orElseThrow()) {
            assertEquals("a;b 3\n", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void theAgentsNotFoundIsEmptyAndItsOtherAnswersAreUnreachable() throws Exception {
        when(client.dump(AGENT, "gone")).thenReturn(answer(404, "{\"outcome\":\"not-found\"}"));
        when(client.profile(AGENT, "odd")).thenReturn(answer(400, "{}"));
        when(client.profile(AGENT, "c1")).thenReturn(answer(500, "boom"));
        assertEquals(Optional.empty(), captures.text("node-1", "gone", Captures.Text.DUMP));
        assertEquals(Optional.empty(), captures.text("node-1", "odd", Captures.Text.PROFILE));
        AgentClient.AgentUnreachableException e = assertThrows(AgentClient.AgentUnreachableException.class,
                () -> captures.text("node-1", "c1", Captures.Text.PROFILE));
        assertEquals("agent answered 500 to the profile", e.getMessage());
        assertEquals("no profile for capture c1 on node node-1", Captures.Text.PROFILE.missing("node-1", "c1"));
    }

    @Test
    void badNamesAndNodesWithoutAgentAreRefusedBeforeAnyCall() {
        assertEquals(400, assertThrows(HookException.class, () -> captures.text("Node_1", "c1", Captures.Text.DUMP)).status());
        assertEquals(400, assertThrows(HookException.class, () -> captures.text("node-1", "a b", Captures.Text.DUMP)).status());
        assertEquals(404, assertThrows(HookException.class, () -> captures.unfinished("node-2", "c1")).status());
        verifyNoInteractions(client);
    }

    @Test
    void anUnfinishedCaptureIsFoundAmongTheAgentsNewest() throws Exception {
        CaptureInfo running = new CaptureInfo("c2", "node-1", "shop", "p", "app", "2026-11-30T11:59:00Z", null, null, null, null, null);
        CaptureInfo done = new CaptureInfo("c1", "node-1", "shop", "p", "app", "2026-11-30T11:58:00Z",
                "2026-11-30T11:58:02Z", "ok", "jcmd", 0, 10L);
        when(client.list(AGENT, null, null, Captures.DEFAULT_LIMIT)).thenReturn(List.of(running, done));
        assertEquals(Optional.of(running), captures.unfinished("node-1", "c2"));
        assertTrue(captures.unfinished("node-1", "c1").isEmpty(), "a finished capture is not running");
        verify(client, times(2)).list(AGENT, null, null, Captures.DEFAULT_LIMIT);
    }

    @Test
    void aCaptureIdStaysOnePartOfItsPagesPath() {
        assertEquals("/captures/node-1/a%2F..%2Fb%20c%3Fd%26e", Captures.pagePath("node-1", "a/../b c?d&e"));
        assertEquals("", Captures.urlPart(null));
    }
}
