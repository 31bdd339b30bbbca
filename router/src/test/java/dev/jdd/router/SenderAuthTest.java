package dev.jdd.router;

import dev.jdd.common.Flags;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SenderAuthTest {
    private static final byte[] BODY = "{\"alerts\":[]}".getBytes(StandardCharsets.UTF_8);
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    private static SenderAuth auth(String... flags) {
        return new SenderAuth(RouterConfig.from(Flags.parse(flags, Map.of())), Clock.fixed(NOW, ZoneOffset.UTC));
    }

    private static String check(SenderAuth auth, Map<String, String> headers) {
        Map<String, String> ci = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        ci.putAll(headers);
        return auth.check(ci::get, BODY);
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void noAuthConfiguredLetsEverythingIn() {
        SenderAuth auth = auth();
        assertFalse(auth.configured());
        assertNull(check(auth, Map.of()));
    }

    @Test
    void basic() {
        SenderAuth auth = auth("--webhook-user=grafana", "--webhook-password=s3cret:with:colons");
        assertNull(check(auth, Map.of("Authorization", basic("grafana", "s3cret:with:colons"))));
        assertNotNull(check(auth, Map.of("Authorization", basic("grafana", "wrong"))));
        assertNotNull(check(auth, Map.of("Authorization", basic("other", "s3cret:with:colons"))));
        assertNotNull(check(auth, Map.of("Authorization", "Basic !!!not-base64")));
        assertNotNull(check(auth, Map.of()));
    }

    @Test
    void bearer() {
        SenderAuth auth = auth("--webhook-bearer=tok-123");
        assertNull(check(auth, Map.of("Authorization", "Bearer tok-123")));
        assertNotNull(check(auth, Map.of("Authorization", "Bearer tok-1234")));
        assertNotNull(check(auth, Map.of("Authorization", basic("tok-123", ""))));
    }

    @Test
    void grafanaHmacWithoutTimestamp() {
        SenderAuth auth = auth("--webhook-hmac-secret=hmac-key");
        String sig = SenderAuth.grafanaSignature("hmac-key", null, BODY);
        assertNull(check(auth, Map.of("X-Grafana-Alerting-Signature", sig)));
        assertNull(check(auth, Map.of("x-grafana-alerting-signature", sig.toUpperCase())), "hex case does not matter");
        assertNotNull(check(auth, Map.of("X-Grafana-Alerting-Signature", SenderAuth.grafanaSignature("other", null, BODY))));
        assertNotNull(check(auth, Map.of("X-Grafana-Alerting-Signature", "zz-not-hex")));
        assertNull(check(auth, Map.of("X-Grafana-Alert-Signature", sig)), "grafana/alerting's own default header name");
        assertNotNull(check(auth, Map.of()));
    }

    @Test
    void grafanaHmacSignsTimestampColonBody() {
        SenderAuth auth = auth("--webhook-hmac-secret=hmac-key");
        String ts = Long.toString(NOW.getEpochSecond() - 30);
        String sig = SenderAuth.grafanaSignature("hmac-key", ts, BODY);
        assertNull(check(auth, Map.of("X-Grafana-Alerting-Signature", sig, "X-Grafana-Alerting-Signature-Timestamp", ts)));
        // the same signature without its timestamp, or with another one, fails
        assertNotNull(check(auth, Map.of("X-Grafana-Alerting-Signature", sig)));
        assertNotNull(check(auth, Map.of("X-Grafana-Alerting-Signature", sig, "X-Grafana-Alerting-Signature-Timestamp", ts + "1")));
        String old = Long.toString(NOW.getEpochSecond() - 3600);
        assertEquals("signature timestamp is too old or in the future", check(auth, Map.of(
                "X-Grafana-Alerting-Signature", SenderAuth.grafanaSignature("hmac-key", old, BODY),
                "X-Grafana-Alerting-Signature-Timestamp", old)));
    }

    @Test
    void hmacMatchesGrafanasOwnAlgorithmOnAKnownVector() {
        // grafana/alerting http/hmac_test.go signs "test message" with "secret", with and without a timestamp;
        // the expected values were computed independently (Python hmac/hashlib)
        byte[] message = "test message".getBytes(StandardCharsets.UTF_8);
        assertEquals("3bcebf43c85d20bba6e3b6ba278af1d2ba3ab0d57de271b0ad30b833e851c5a6",
                SenderAuth.grafanaSignature("secret", null, message));
        assertEquals("36fa366a807205a13fc507ea4413374566ad5808c7ca7653f94d121fe5e64c2d",
                SenderAuth.grafanaSignature("secret", "1700000000", message));
    }

    @Test
    void customHeaderNamesAndAnyConfiguredMethodSuffices() {
        SenderAuth auth = auth("--webhook-hmac-secret=k", "--webhook-hmac-header=X-Sig",
                "--webhook-hmac-timestamp-header=X-Ts", "--webhook-bearer=b");
        String ts = Long.toString(NOW.getEpochSecond());
        assertNull(check(auth, Map.of("X-Sig", SenderAuth.grafanaSignature("k", ts, BODY), "X-Ts", ts)));
        assertNull(check(auth, Map.of("Authorization", "Bearer b")));
        assertNotNull(check(auth, Map.of("Authorization", "Bearer c")));
    }

    @Test
    void readingCapturesNeedsBasicOrBearerWhenConfigured() {
        assertTrue(auth().readAllowed(null), "no credential at all: open (with the start-up warning)");
        SenderAuth auth = auth("--webhook-bearer=b");
        assertTrue(auth.readAllowed("Bearer b"));
        assertFalse(auth.readAllowed(null));
        SenderAuth basic = auth("--webhook-user=u", "--webhook-password=p");
        assertTrue(basic.readAllowed(basic("u", "p")));
        assertFalse(basic.readAllowed(basic("u", "x")));
        assertFalse(basic.readAllowed(null));
    }

    @Test
    void hmacOnlySetupsReadWithTheReadToken() {
        SenderAuth hmacOnly = auth("--webhook-hmac-secret=k");
        assertFalse(hmacOnly.readAllowed(null), "any webhook credential closes the reads");
        assertFalse(hmacOnly.readAllowed("Bearer k"), "the HMAC secret is no read token");
        SenderAuth withToken = auth("--webhook-hmac-secret=k", "--read-token=r-123");
        assertTrue(withToken.readAllowed("Bearer r-123"));
        assertFalse(withToken.readAllowed("Bearer r-1234"));
        assertFalse(withToken.readAllowed(null));
        SenderAuth both = auth("--webhook-bearer=b", "--read-token=r");
        assertTrue(both.readAllowed("Bearer b"));
        assertTrue(both.readAllowed("Bearer r"));
    }
}
