package dev.jdd.common;

/** A bad configuration value. The message is the one line printed before start-up stops. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
