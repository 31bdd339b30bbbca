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
 * The JDK's own shutdown hook resets logging while ours may still log (the agent records interrupted captures
 * then); {@link KeepDuringShutdown} keeps the handlers until the process ends.
 */
public final class OneLineLogging {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private OneLineLogging() {
    }

    /**
     * Replaces the root logger's handlers with one console handler using {@link OneLine}. Call first thing in
     * {@code main}, before any logger exists: the LogManager class is chosen when logging is first touched.
     */
    public static void install() {
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", KeepDuringShutdown.class.getName());
        }
        Logger root = LogManager.getLogManager().getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        ConsoleHandler console = new ConsoleHandler();
        console.setFormatter(new OneLine());
        root.addHandler(console);
    }

    /** Flushes the root logger's handlers; the last thing a shutdown hook does. */
    public static void flush() {
        for (Handler h : LogManager.getLogManager().getLogger("").getHandlers()) {
            h.flush();
        }
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

    /** A LogManager whose reset by the JDK's shutdown hook is skipped, so that our shutdown hooks can still log. */
    public static final class KeepDuringShutdown extends LogManager {
        @Override
        public void reset() {
            if (!Thread.currentThread().getClass().getName().startsWith("java.util.logging.LogManager$")) {
                super.reset();
            }
        }
    }
}
