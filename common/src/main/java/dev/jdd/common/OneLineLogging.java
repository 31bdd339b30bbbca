package dev.jdd.common;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * java.util.logging as one line per record on stderr with a UTC timestamp: what log shippers expect, and much cheaper
 * than the JDK's default two-line {@code SimpleFormatter} (the router logs one line per target of every webhook).
 * The same format as the agent's {@code AgentLogging}, which can move here.
 */
public final class OneLineLogging {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private OneLineLogging() {
    }

    /** Replaces the root logger's handlers with one console handler using {@link OneLine}. Call first in {@code main}. */
    public static void install() {
        Logger root = LogManager.getLogManager().getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        ConsoleHandler console = new ConsoleHandler();
        console.setFormatter(new OneLine());
        root.addHandler(console);
    }

    /** {@code 2026-01-01T10:00:00.123Z INFO message}, then the stack trace of a thrown exception, if any. */
    public static final class OneLine extends Formatter {
        @Override
        public String format(LogRecord r) {
            StringBuilder line = new StringBuilder(160).append(TIME.format(r.getInstant())).append(' ')
                    .append(r.getLevel().getName()).append(' ').append(formatMessage(r));
            if (r.getThrown() != null) {
                StringWriter trace = new StringWriter();
                r.getThrown().printStackTrace(new PrintWriter(trace));
                line.append('\n').append(trace.toString().stripTrailing());
            }
            return line.append('\n').toString();
        }
    }
}
