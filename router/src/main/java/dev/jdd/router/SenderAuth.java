package dev.jdd.router;

import dev.jdd.common.Tokens;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Base64;
import java.util.HexFormat;
import java.util.function.Function;

/**
 * Checks who posts a webhook: HTTP basic ({@code --webhook-user/--webhook-password}), a bearer token
 * ({@code --webhook-bearer}) or Grafana's HMAC-SHA256 signature ({@code --webhook-hmac-secret}): lower-case hex of
 * HMAC(secret, body), or of HMAC(secret, timestamp + ":" + body) when Grafana is configured with a timestamp header.
 * Any one configured method that matches is enough, so Grafana and Alertmanager can post to the same router.
 * All comparisons are constant-time.
 */
public final class SenderAuth {
    static final String DEFAULT_HMAC_HEADER = "X-Grafana-Alerting-Signature";
    private static final String GRAFANA_CODE_DEFAULT_HMAC_HEADER = "X-Grafana-Alert-Signature";

    private final RouterConfig config;
    private final Clock clock;

    public SenderAuth(RouterConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
    }

    public boolean configured() {
        return config.hasWebhookAuth();
    }

    /**
     * @param header the request's header value by name (case-insensitive), or null
     * @return null when the request may pass, else the reason for a 401
     */
    public String check(Function<String, String> header, byte[] body) {
        if (!configured()) {
            return null;
        }
        String authorization = header.apply("Authorization");
        if (config.webhookUser() != null && basicMatches(authorization)) {
            return null;
        }
        if (config.webhookBearer() != null && Tokens.bearerMatches(config.webhookBearer(), authorization)) {
            return null;
        }
        if (config.webhookHmacSecret() != null) {
            String signature = signatureHeader(header);
            if (signature != null) {
                String timestamp = header.apply(config.webhookHmacTimestampHeader());
                String why = hmacProblem(signature, timestamp, body);
                if (why == null) {
                    return null;
                }
                return why;
            }
        }
        return authorization == null && (config.webhookHmacSecret() == null || signatureHeader(header) == null)
                ? "credentials required" : "bad credentials";
    }

    /**
     * The signature, from the configured header; with the default name also from {@code X-Grafana-Alert-Signature},
     * which grafana/alerting's {@code http/hmac.go} uses when the contact point's "Header" field is left empty.
     */
    private String signatureHeader(Function<String, String> header) {
        String signature = header.apply(config.webhookHmacHeader());
        if (signature == null && config.webhookHmacHeader().equalsIgnoreCase(DEFAULT_HMAC_HEADER)) {
            signature = header.apply(GRAFANA_CODE_DEFAULT_HMAC_HEADER);
        }
        return signature;
    }

    /**
     * For reading endpoints ({@code /captures}): open only when no credential at all is configured; otherwise the
     * webhook's basic or bearer credentials, or {@code --read-token} as a bearer token (HMAC cannot sign a GET, so
     * an HMAC-only setup reads with the read token).
     */
    public boolean readAllowed(String authorization) {
        if (config.readsOpen()) {
            return true;
        }
        return (config.webhookUser() != null && basicMatches(authorization))
                || (config.webhookBearer() != null && Tokens.bearerMatches(config.webhookBearer(), authorization))
                || (config.readToken() != null && Tokens.bearerMatches(config.readToken(), authorization));
    }

    private boolean basicMatches(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return false;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.substring(6).strip()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return false;
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
            return false;
        }
        // Both halves are always compared so that timing does not tell which one was wrong.
        boolean user = Tokens.equal(config.webhookUser(), decoded.substring(0, colon));
        boolean password = Tokens.equal(config.webhookPassword(), decoded.substring(colon + 1));
        return user & password;
    }

    private String hmacProblem(String signature, String timestamp, byte[] body) {
        byte[] expected;
        if (timestamp != null) {
            long seconds;
            try {
                seconds = Long.parseLong(timestamp.strip());
            } catch (NumberFormatException e) {
                return "bad signature timestamp";
            }
            long age = Math.abs(clock.instant().getEpochSecond() - seconds);
            if (age > config.webhookHmacMaxAge().toSeconds()) {
                return "signature timestamp is too old or in the future";
            }
            expected = hmac(config.webhookHmacSecret(), timestamp.strip(), body);
        } else {
            expected = hmac(config.webhookHmacSecret(), null, body);
        }
        byte[] given;
        try {
            String hex = signature.strip();
            if (hex.regionMatches(true, 0, "sha256=", 0, 7)) {
                hex = hex.substring(7);
            }
            given = HexFormat.of().parseHex(hex.toLowerCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return "bad signature";
        }
        return MessageDigest.isEqual(expected, given) ? null : "bad signature";
    }

    /** What Grafana puts into the signature header (also used by tests and the docs' example). */
    public static String grafanaSignature(String secret, String timestampOrNull, byte[] body) {
        return HexFormat.of().formatHex(hmac(secret, timestampOrNull, body));
    }

    /** HMAC-SHA256 of {@code "<timestamp>:" + body}, or of the body alone without a timestamp, as Grafana signs. */
    private static byte[] hmac(String secret, String timestampOrNull, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            if (timestampOrNull != null) {
                mac.update((timestampOrNull + ":").getBytes(StandardCharsets.UTF_8));
            }
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }
}
