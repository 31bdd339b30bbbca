package dev.jdd.router;

import dev.jdd.common.HttpLimits;
import dev.jdd.testing.SlowClients;
import org.junit.jupiter.api.Test;

/** The router's server against the same slow clients as the agent's: closed within the bound, /health answers. */
class SlowClientsIT {
    @Test
    void slowAndUnfinishedRequestsAreClosedWithinTheBoundAndHealthKeepsAnswering() throws Exception {
        try (TestRouter router = TestRouter.start(null, "--agents=worker-1=http://127.0.0.1:1", "--token=t")) {
            SlowClients.assertBounded(router.server.port(), "/hooks", "/health",
                    HttpLimits.HEAD_TIME.plus(HttpLimits.BODY_TIME).plusSeconds(5));
        }
    }
}
