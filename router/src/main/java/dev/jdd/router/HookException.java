package dev.jdd.router;

/** A request the router refuses as a whole, with the contracted status (400, 401, 413) and a one-line reason. */
public final class HookException extends RuntimeException {
    private final int status;

    public HookException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
