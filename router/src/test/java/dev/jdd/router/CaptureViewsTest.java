package dev.jdd.router;

import dev.jdd.common.CaptureInfo;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The list page's own filters (node, outcome, time), applied by the router to the agents' merged list. */
class CaptureViewsTest {
    private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");
    private static final CaptureInfo OK = new CaptureInfo("a", "node-1", "shop", "p", "app", "2026-11-30T11:30:00Z",
            "2026-11-30T11:30:02Z", "ok", "jcmd", 0, 10L);
    private static final CaptureInfo RUNNING = new CaptureInfo("b", "node-2", "shop", "p", "app", "2026-11-30T11:59:00Z",
            null, null, null, null, null);

    @Test
    void filtersByNodeOutcomeAndTime() {
        assertTrue(new CaptureViews.Filter(null, null, null, null, null).test(OK, NOW));
        assertTrue(new CaptureViews.Filter(null, null, "node-1", "ok", "1h").test(OK, NOW));
        assertFalse(new CaptureViews.Filter(null, null, "node-2", null, null).test(OK, NOW));
        assertFalse(new CaptureViews.Filter(null, null, null, "failed", null).test(OK, NOW));
        assertFalse(new CaptureViews.Filter(null, null, null, null, "15m").test(OK, NOW), "30 minutes ago");
        assertTrue(new CaptureViews.Filter(null, null, null, "running", "15m").test(RUNNING, NOW));
        assertFalse(new CaptureViews.Filter(null, null, null, "ok", null).test(RUNNING, NOW));
    }

    @Test
    void badFilterValuesAre400() {
        assertEquals(400, assertThrows(HookException.class, () -> new CaptureViews.Filter(null, null, "Node_1", null, null)).status());
        assertEquals(400, assertThrows(HookException.class, () -> new CaptureViews.Filter(null, null, null, "great", null)).status());
        assertEquals(400, assertThrows(HookException.class, () -> new CaptureViews.Filter(null, null, null, null, "2w")).status());
    }
}
