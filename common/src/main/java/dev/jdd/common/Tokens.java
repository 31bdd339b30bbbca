package dev.jdd.common;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** Bearer-token checks in constant time. */
public final class Tokens {
    private Tokens() {
    }

    /** True when {@code authorization} is {@code Bearer <expected>}; the comparison does not leak where they differ. */
    public static boolean bearerMatches(String expected, String authorization) {
        if (expected == null || authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return equal(expected, authorization.substring(7).strip());
    }

    public static boolean equal(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
