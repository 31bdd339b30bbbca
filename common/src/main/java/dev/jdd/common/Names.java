package dev.jdd.common;

import java.util.regex.Pattern;

/**
 * Kubernetes name rules (DNS-1123). A name that passes is safe in a Docker label filter and as one
 * path segment: only lower-case letters, digits, '-' and (subdomains) single dots between labels.
 */
public final class Names {
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern SUBDOMAIN = Pattern.compile(LABEL + "(\\." + LABEL + ")*");

    private Names() {
    }

    /** A DNS-1123 label: namespaces and container names. */
    public static boolean isLabel(String s) {
        return s != null && s.length() <= 63 && LABEL.matcher(s).matches();
    }

    /** A DNS-1123 subdomain: pod and node names. */
    public static boolean isSubdomain(String s) {
        return s != null && s.length() <= 253 && SUBDOMAIN.matcher(s).matches();
    }

    /**
     * Checks a namespace/pod/container triple (container may be null when {@code containerOptional}).
     * Returns null when all are valid, else a one-line reason naming the first bad field.
     */
    public static String problem(String namespace, String pod, String container, boolean containerOptional) {
        if (!isLabel(namespace)) {
            return describe("namespace", namespace, "a DNS-1123 label");
        }
        if (!isSubdomain(pod)) {
            return describe("pod", pod, "a DNS-1123 subdomain");
        }
        if (container == null && containerOptional) {
            return null;
        }
        if (!isLabel(container)) {
            return describe("container", container, "a DNS-1123 label");
        }
        return null;
    }

    private static String describe(String field, String value, String rule) {
        if (value == null || value.isEmpty()) {
            return field + " is missing";
        }
        return field + " is not " + rule + " (lower-case letters, digits and '-')";
    }
}
