package dev.jdd.agent;

/** Placeholder until the agent lands. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.err.println("jdd agent: not built yet");
        System.exit(1);
    }
}
