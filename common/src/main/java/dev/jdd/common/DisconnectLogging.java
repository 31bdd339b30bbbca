package dev.jdd.common;

import java.io.IOException;
import java.util.List;
import java.util.logging.Filter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * A client that goes away mid-request is normal traffic, not a server error: Helidon logs it as a WARNING
 * "Internal server error" with a stack trace. This filter on Helidon's HTTP/1 loggers turns such records into one
 * INFO line without the trace; other records pass unchanged.
 */
final class DisconnectLogging implements Filter {
    /** Strong references: java.util.logging keeps loggers only weakly, and a collected logger loses its filter. */
    private static final List<Logger> LOGGERS = List.of(Logger.getLogger("io.helidon.webserver.http1.Http1Connection"),
            Logger.getLogger("io.helidon.webserver.http.DirectHandlers"),
            Logger.getLogger("io.helidon.webserver.ConnectionHandler"));

    static synchronized void install() {
        for (Logger logger : LOGGERS) {
            if (!(logger.getFilter() instanceof DisconnectLogging)) {
                logger.setFilter(new DisconnectLogging());
            }
        }
    }

    @Override
    public boolean isLoggable(LogRecord record) {
        Throwable cause = disconnect(record.getThrown());
        if (cause != null) {
            record.setLevel(Level.INFO);
            record.setMessage("client disconnected before its request was complete: " + cause);
            record.setParameters(null);
            record.setThrown(null);
        }
        return true;
    }

    /** The cause that shows the peer went away, or null. */
    static Throwable disconnect(Throwable thrown) {
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            String name = t.getClass().getName();
            if (name.endsWith("InsufficientDataAvailableException") || name.endsWith("CloseConnectionException")
                    || t instanceof java.net.SocketException || t instanceof java.nio.channels.ClosedChannelException
                    || (t instanceof IOException && t.getMessage() != null
                        && (t.getMessage().contains("Broken pipe") || t.getMessage().contains("Connection reset")))) {
                return t;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }
}
