package dev.jdd.common;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TokensTest {
    @Test
    void bearer() {
        assertTrue(Tokens.bearerMatches("s3cret", "Bearer s3cret"));
        assertTrue(Tokens.bearerMatches("s3cret", "bearer s3cret"));
        assertFalse(Tokens.bearerMatches("s3cret", "Bearer s3cre"));
        assertFalse(Tokens.bearerMatches("s3cret", "Basic s3cret"));
        assertFalse(Tokens.bearerMatches("s3cret", null));
        assertFalse(Tokens.bearerMatches("s3cret", "Bearer"));
    }
}
