package dev.jdd.agent.node;

/** The HotSpot attach did not deliver a thread dump; the message says why in words a user can act on. */
public class AttachException extends Exception {
    public AttachException(String message) {
        super(message);
    }

    public AttachException(String message, Throwable cause) {
        super(message, cause);
    }
}
