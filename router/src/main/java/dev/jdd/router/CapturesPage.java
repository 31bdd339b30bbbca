package dev.jdd.router;

import dev.jdd.common.CaptureInfo;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** {@code GET /captures} for a browser: the successor of the old tool's browsable stacks folder. Everything escaped. */
final class CapturesPage {
    private CapturesPage() {
    }

    static String html(Captures.Listing listing, String namespace, String pod) {
        StringBuilder sb = new StringBuilder(4096);
        sb.append("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>jdd captures</title>")
                .append("<style>body{font-family:sans-serif}td,th{padding:2px 8px;text-align:left}"
                        + "tr:nth-child(even){background:#f4f4f4}.err{color:#a00}</style></head><body>\n")
                .append("<h1>jdd captures</h1>\n<p>Newest first");
        if (namespace != null) {
            sb.append(", namespace ").append(escape(namespace));
        }
        if (pod != null) {
            sb.append(", pod ").append(escape(pod));
        }
        sb.append(". <a href=\"/captures\">all</a></p>\n");
        for (Captures.NodeError e : listing.errors()) {
            sb.append("<p class=\"err\">node ").append(escape(e.node())).append(": ").append(escape(e.detail())).append("</p>\n");
        }
        sb.append("<table>\n<tr><th>start (UTC)</th><th>node</th><th>namespace</th><th>pod</th><th>container</th>"
                + "<th>outcome</th><th>engine</th><th>bytes</th><th>dump</th></tr>\n");
        for (CaptureInfo c : listing.captures()) {
            sb.append("<tr><td>").append(escape(c.start())).append("</td><td>").append(escape(c.node()))
                    .append("</td><td><a href=\"/captures?namespace=").append(query(c.namespace())).append("\">")
                    .append(escape(c.namespace())).append("</a></td><td><a href=\"/captures?namespace=")
                    .append(query(c.namespace())).append("&amp;pod=").append(query(c.pod())).append("\">")
                    .append(escape(c.pod())).append("</a></td><td>").append(escape(c.container())).append("</td><td>")
                    .append(escape(c.outcome() == null ? "running" : c.outcome())).append("</td><td>")
                    .append(escape(c.engine())).append("</td><td>").append(c.bytes() == null ? "" : c.bytes()).append("</td><td>");
            if (c.end() != null && c.node() != null && c.captureId() != null) {
                sb.append("<a href=\"/captures/").append(query(c.node())).append('/').append(query(c.captureId()))
                        .append("\">").append(escape(c.captureId())).append("</a>");
            } else {
                sb.append(escape(c.captureId()));
            }
            sb.append("</td></tr>\n");
        }
        return sb.append("</table>\n</body></html>\n").toString();
    }

    static String escape(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    private static String query(String s) {
        return s == null ? "" : URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
