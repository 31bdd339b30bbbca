package dev.jdd.agent.runtime;

/** The target cannot take files (read-only root filesystem, no writable temporary folder). */
public class CopyRefusedException extends RuntimeException {
    public CopyRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
