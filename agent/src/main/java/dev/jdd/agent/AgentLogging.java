package dev.jdd.agent;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.format.DateTimeFormatter;
import java.time.ZoneOffset;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One line per log record on stderr, UTC timestamps. The JDK's own shutdown hook resets logging while ours still
 * records interrupted captures; {@link KeepDuringShutdown} keeps the handlers until the process ends.
 */
final class AgentLogging {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private AgentLogging() {
    }

    /** Call first thing in {@code main}, before any logger exists. */
    static void install() {
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

    static void flush() {
        for (Handler h : LogManager.getLogManager().getLogger("").getHandlers()) {
            h.flush();
        }
    }

    static final class OneLine extends Formatter {
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

    /** A LogManager whose reset by the JDK's shutdown hook is skipped, so that our shutdown hook can still log. */
    public static final class KeepDuringShutdown extends LogManager {
        @Override
        public void reset() {
            if (!Thread.currentThread().getClass().getName().startsWith("java.util.logging.LogManager$")) {
                super.reset();
            }
        }
    }
}
