package dev.jdd.router;

/** Placeholder until the router lands. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.err.println("jdd router: not built yet");
        System.exit(1);
    }
}
