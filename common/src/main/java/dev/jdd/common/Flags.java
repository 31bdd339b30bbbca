package dev.jdd.common;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Command-line flags {@code --name=value} with environment fallback {@code JDD_NAME} (upper case,
 * {@code -} becomes {@code _}); flags win. Each typed getter takes its default at the read site and
 * throws {@link ConfigException} with one clear line for a bad value. After reading, call
 * {@link #rejectUnknown()} so that a mistyped flag stops start-up instead of being ignored.
 */
public final class Flags {
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final Pattern BYTES = Pattern.compile("(\\d+)\\s*(|b|k|kb|ki|kib|m|mb|mi|mib|g|gb|gi|gib|t|tb|ti|tib)");

    private final Map<String, String> args;
    private final Map<String, String> env;
    private final Set<String> read = new TreeSet<>();

    private Flags(Map<String, String> args, Map<String, String> env) {
        this.args = args;
        this.env = env;
    }

    public static Flags parse(String[] argv, Map<String, String> env) {
        Map<String, String> args = new LinkedHashMap<>();
        for (String arg : argv) {
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new ConfigException("unexpected argument '" + arg + "': options are --name=value");
            }
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg.substring(2) : arg.substring(2, eq);
            String value = eq < 0 ? "true" : arg.substring(eq + 1);
            if (args.put(name, value) != null) {
                throw new ConfigException("--" + name + " is given twice");
            }
        }
        return new Flags(args, env);
    }

    /** The environment variable that stands for a flag: {@code --max-body} is {@code JDD_MAX_BODY}. */
    public static String envName(String flag) {
        return "JDD_" + flag.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    public Optional<String> optional(String name) {
        read.add(name);
        String value = args.get(name);
        if (value == null) {
            value = env.get(envName(name));
        }
        return Optional.ofNullable(value).map(String::strip).filter(v -> !v.isEmpty());
    }

    public String string(String name, String defaultValue) {
        return optional(name).orElse(defaultValue);
    }

    public boolean bool(String name) {
        return optional(name).map(v -> switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw bad(name, v, "expected true or false");
        }).orElse(false);
    }

    public int integer(String name, int defaultValue, int min, int max) {
        return optional(name).map(v -> {
            int n;
            try {
                n = Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw bad(name, v, "not a whole number");
            }
            if (n < min || n > max) {
                throw bad(name, v, "must be between " + min + " and " + max);
            }
            return n;
        }).orElse(defaultValue);
    }

    /** A duration such as {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 7d}. */
    public Duration duration(String name, Duration defaultValue, Duration min, Duration max) {
        return optional(name).map(v -> {
            Duration d = parseDuration(v);
            if (d == null) {
                throw bad(name, v, "expected a duration such as 500ms, 30s, 5m, 2h or 7d");
            }
            if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
                throw bad(name, v, "must be between " + min.toString().substring(2).toLowerCase(Locale.ROOT)
                        + " and " + max.toString().substring(2).toLowerCase(Locale.ROOT));
            }
            return d;
        }).orElse(defaultValue);
    }

    /** A size such as {@code 1048576}, {@code 512KiB}, {@code 1MiB}, {@code 1GiB} (K, M, G are powers of 1024). */
    public long bytes(String name, long defaultValue, long min) {
        return optional(name).map(v -> {
            long n = parseBytes(v);
            if (n < 0) {
                throw bad(name, v, "expected a size such as 1048576, 512KiB, 1MiB or 1GiB");
            }
            if (n < min) {
                throw bad(name, v, "must be at least " + min + " bytes");
            }
            return n;
        }).orElse(defaultValue);
    }

    /** Stops start-up when a flag was given on the command line that no one read. */
    public void rejectUnknown() {
        for (String name : args.keySet()) {
            if (!read.contains(name)) {
                throw new ConfigException("unknown option --" + name);
            }
        }
    }

    static Duration parseDuration(String v) {
        Matcher m = DURATION.matcher(v.toLowerCase(Locale.ROOT));
        if (!m.matches() || m.group(1).length() > 12) {
            return null;
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }

    static long parseBytes(String v) {
        Matcher m = BYTES.matcher(v.toLowerCase(Locale.ROOT));
        if (!m.matches() || m.group(1).length() > 15) {
            return -1;
        }
        long n = Long.parseLong(m.group(1));
        int shift = switch (m.group(2).isEmpty() ? 'b' : m.group(2).charAt(0)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            case 't' -> 40;
            default -> 0;
        };
        return n << shift;
    }

    private static ConfigException bad(String name, String value, String why) {
        return new ConfigException("--" + name + "=" + value + ": " + why);
    }
}
