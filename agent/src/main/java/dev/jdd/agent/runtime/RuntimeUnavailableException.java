package dev.jdd.agent.runtime;

/** The runtime could not be reached or answered with an error; the message is the reason, for the dump and the log. */
public class RuntimeUnavailableException extends RuntimeException {
    public RuntimeUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    public RuntimeUnavailableException(String message) {
        super(message);
    }
}
