package dev.jdd.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class NamesTest {

    @ParameterizedTest
    @ValueSource(strings = {"", "..", ".", "../etc", "a/b", "A", "a_b", "-a", "a-", "a;rm -rf /", "$(id)", "a\nb",
        "`x`", "a b", "é", "a.b"})
    void hostileLabelsAreRejected(String s) {
        assertFalse(Names.isLabel(s), s);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "..", ".", "a..b", "a/b", ".a", "a.", "a/../b", "%2e%2e"})
    void hostileSubdomainsAreRejected(String s) {
        assertFalse(Names.isSubdomain(s), s);
    }

    @Test
    void realNamesPass() {
        assertTrue(Names.isLabel("kube-system"));
        assertTrue(Names.isSubdomain("checkout-7d9f8b6c5-x2x4z"));
        assertTrue(Names.isSubdomain("ip-10-0-0-5.eu-west-1.compute.internal"));
        assertFalse(Names.isLabel("a".repeat(64)));
        assertTrue(Names.isLabel("a".repeat(63)));
    }

    @Test
    void problemNamesTheBadField() {
        assertNull(Names.problem("prod", "api-1", "app", false));
        assertNull(Names.problem("prod", "api-1", null, true));
        assertEquals("container is missing", Names.problem("prod", "api-1", null, false));
        assertTrue(Names.problem("prod", "../x", "app", false).startsWith("pod is not"));
        assertTrue(Names.problem("Prod", "x", "app", false).startsWith("namespace is not"));
    }
}
