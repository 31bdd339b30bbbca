package dev.jdd.router;

import dev.jdd.common.CaptureInfo;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code GET /captures} for a browser: the successor of the old tool's browsable stacks folder. Rendered on the server,
 * everything escaped, no script; the style sheet is a static asset ({@code /static/jdd.css}).
 */
final class CapturesPage {
    private CapturesPage() {
    }

    static String html(Captures.Listing listing, CaptureViews.Filter filter, Map<String, DumpSummary.TopThread> top) {
        StringBuilder sb = new StringBuilder(8192);
        sb.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>jdd captures</title>")
                .append("<link rel=\"stylesheet\" href=\"/static/jdd.css\"></head><body>\n")
                .append("<header><h1><a href=\"/captures\">jdd captures</a></h1></header>\n<main>\n");
        filters(sb, filter);
        for (Captures.NodeError e : listing.errors()) {
            sb.append("<p class=\"err\">node ").append(escape(e.node())).append(": ").append(escape(e.detail())).append("</p>\n");
        }
        sb.append("<p class=\"muted\">").append(listing.captures().size()).append(" captures, newest first.</p>\n");
        sb.append("<table id=\"captures\">\n<thead><tr><th>start (UTC)</th><th>node</th><th>namespace</th><th>pod</th>"
                + "<th>container</th><th>outcome</th><th>busiest thread</th><th>CPU</th><th>capture</th></tr></thead>\n<tbody>\n");
        for (CaptureInfo c : listing.captures()) {
            String outcome = c.outcome() == null ? "running" : c.outcome();
            DumpSummary.TopThread t = c.node() == null || c.captureId() == null ? null
                    : top.get(CaptureViews.key(c.node(), c.captureId()));
            sb.append("<tr><td>").append(escape(c.start())).append("</td><td>").append(escape(c.node()))
                    .append("</td><td><a href=\"/captures?namespace=").append(Captures.urlPart(c.namespace())).append("\">")
                    .append(escape(c.namespace())).append("</a></td><td><a href=\"/captures?namespace=")
                    .append(Captures.urlPart(c.namespace())).append("&amp;pod=").append(Captures.urlPart(c.pod())).append("\">")
                    .append(escape(c.pod())).append("</a></td><td>").append(escape(c.container())).append("</td><td>")
                    .append("<span class=\"outcome outcome-").append(escape(outcome)).append("\">").append(escape(outcome))
                    .append("</span></td><td class=\"thread\">").append(t == null ? "" : escape(t.name())).append("</td><td class=\"num\">")
                    .append(t == null ? "" : String.format(Locale.ROOT, "%.1f%%", t.cpu())).append("</td><td>");
            if (c.node() != null && c.captureId() != null) {
                sb.append("<a href=\"").append(Captures.pagePath(c.node(), c.captureId())).append("\">")
                        .append(escape(c.captureId())).append("</a>");
            } else {
                sb.append(escape(c.captureId()));
            }
            sb.append("</td></tr>\n");
        }
        return sb.append("</tbody></table>\n</main>\n</body></html>\n").toString();
    }

    private static void filters(StringBuilder sb, CaptureViews.Filter f) {
        sb.append("<form class=\"filters\" method=\"get\" action=\"/captures\">\n");
        input(sb, "namespace", f.namespace());
        input(sb, "pod", f.pod());
        input(sb, "node", f.node());
        sb.append("<label>outcome <select name=\"outcome\"><option value=\"\">any</option>");
        for (String o : new TreeSet<>(CaptureViews.OUTCOMES)) {
            option(sb, o, o, o.equals(f.outcome()));
        }
        sb.append("</select></label>\n<label>since <select name=\"since\"><option value=\"\">any time</option>");
        for (String s : CaptureViews.SINCE.keySet()) {
            option(sb, s, "last " + s, s.equals(f.since()));
        }
        sb.append("</select></label>\n<button type=\"submit\">filter</button> <a href=\"/captures\">clear</a>\n</form>\n");
    }

    private static void input(StringBuilder sb, String name, String value) {
        sb.append("<label>").append(name).append(" <input name=\"").append(name).append("\" value=\"").append(escape(value))
                .append("\" size=\"16\"></label>\n");
    }

    private static void option(StringBuilder sb, String value, String label, boolean selected) {
        sb.append("<option value=\"").append(escape(value)).append('"').append(selected ? " selected" : "").append('>')
                .append(escape(label)).append("</option>");
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
}
