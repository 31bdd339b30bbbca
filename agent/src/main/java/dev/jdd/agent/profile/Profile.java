package dev.jdd.agent.profile;

/**
 * The profile of one capture: collapsed stacks with their sample count, or why there is none.
 *
 * @param collapsed  the collapsed stacks ({@code frame;frame;frame count} lines), or null when there is no profile
 * @param samples    how many samples were folded
 * @param sampler    {@code cpu-time} (JDK 25+'s {@code jdk.CPUTimeSample}) or {@code execution}
 *                   ({@code jdk.ExecutionSample}), or null when there is no profile or no sample
 * @param unavailable why there is no profile ({@code off} for {@code --profile=off}), or null when there is one
 */
public record Profile(byte[] collapsed, long samples, String sampler, String unavailable) {
    public static final String OFF = "off";

    public static Profile of(byte[] collapsed, long samples, String sampler) {
        return new Profile(collapsed, samples, sampler, null);
    }

    public static Profile unavailable(String reason) {
        return new Profile(null, 0, null, reason);
    }

    public static Profile off() {
        return new Profile(null, 0, null, OFF);
    }

    public boolean present() {
        return collapsed != null;
    }

    /** The {@code # profile:} header value: the file's name, {@code off}, or {@code unavailable (<reason>)}. */
    public String header(String fileName) {
        if (present()) {
            return fileName;
        }
        return unavailable.equals(OFF) ? OFF : "unavailable (" + unavailable + ")";
    }
}
