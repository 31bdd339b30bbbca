package dev.jdd.common;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Command-line flags {@code --name=value} with environment fallback {@code JDD_NAME} (upper case,
 * {@code -} becomes {@code _}); flags win. Each typed getter takes its default, range and one line of help at the
 * read site, and throws {@link ConfigException} with one clear line for a bad value, naming the form the user gave
 * ({@code --threads=abc} or {@code JDD_THREADS=abc}). After reading, call {@link #rejectUnknown()} so that a mistyped
 * flag stops start-up instead of being ignored.
 *
 * <p>{@code --help} is generated from the same reads: {@link #help} runs a config's reader on flags without values and
 * prints every option it read, in order, with its variable, default, range and help line. A new option therefore
 * needs nothing but its help line where it is read.
 */
public final class Flags {
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final Pattern BYTES = Pattern.compile("(\\d+)\\s*(|b|kib|mib|gib|tib|ki|mi|gi|ti)");
    private static final Pattern AMBIGUOUS_BYTES = Pattern.compile("\\d+\\s*(k|kb|m|mb|g|gb|t|tb)");

    private final Map<String, String> args;
    private final Map<String, String> env;
    /** Every option read so far, in reading order: what {@code --help} prints. */
    private final Map<String, Option> options = new LinkedHashMap<>();

    /**
     * One option as its reader described it.
     *
     * @param value        placeholder for the value in {@code --name=VALUE}, null for a switch
     * @param defaultValue the default as text, null for none
     * @param range        what values are allowed, with units, or null
     * @param help         one line of help, null when the reader gave none (a test refuses that)
     */
    public record Option(String name, String value, String defaultValue, String range, String help) {
    }

    private Flags(Map<String, String> args, Map<String, String> env) {
        this.args = args;
        this.env = env;
    }

    public static Flags parse(String[] argv, Map<String, String> env) {
        Map<String, String> args = new LinkedHashMap<>();
        for (String arg : argv) {
            if (arg.equals("-h")) {
                arg = "--help";
            }
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new ConfigException("unexpected argument '" + arg + "': options are --name=value (--help lists them)");
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

    /** True when {@code --help} (or {@code -h}) was given. */
    public boolean helpRequested() {
        return args.containsKey("help");
    }

    /**
     * The help text of one role: {@code reader} reads every option from flags without values (defaults only; a
     * {@link ConfigException} for a missing required value, such as the token, is expected and ignored), and each
     * option it read is listed with its variable, default, range and help line.
     */
    public static String help(String usage, Consumer<Flags> reader) {
        Flags flags = new Flags(Map.of(), Map.of());
        try {
            reader.accept(flags);
        } catch (ConfigException e) {
            // a required value has no default: the options were all read before the check
        }
        StringBuilder out = new StringBuilder(usage.strip()).append("\n\n");
        out.append("Every option is a flag --name=value or an environment variable JDD_NAME; flags win.\n");
        out.append("Durations: 500ms, 30s, 5m, 2h, 7d. Sizes: bytes, KiB, MiB or GiB (powers of 1024).\n\n");
        for (Option o : flags.options.values()) {
            out.append("  --").append(o.name()).append(o.value() == null ? "" : "=" + o.value())
                    .append("  (").append(envName(o.name())).append(")\n");
            out.append("      ").append(o.help() == null ? "(no description)" : o.help());
            StringBuilder facts = new StringBuilder();
            if (o.range() != null) {
                facts.append(o.range());
            }
            if (o.defaultValue() != null) {
                facts.append(facts.isEmpty() ? "" : "; ").append("default ").append(o.defaultValue());
            }
            if (!facts.isEmpty()) {
                out.append(" [").append(facts).append(']');
            }
            out.append('\n');
        }
        out.append("  --help  prints this text\n");
        return out.toString();
    }

    /** The options read so far, in reading order. */
    public List<Option> options() {
        return List.copyOf(options.values());
    }

    /**
     * How the user gave an option, for messages: {@code --name} when it came from the command line or was not given,
     * {@code JDD_NAME} when it came from the environment.
     */
    public String form(String name) {
        return !args.containsKey(name) && env.containsKey(envName(name)) ? envName(name) : "--" + name;
    }

    /** A one-line error about a value the user gave: {@code --name=value: why} or {@code JDD_NAME=value: why}. */
    public ConfigException bad(String name, String value, String why) {
        return new ConfigException(form(name) + "=" + value + ": " + why);
    }

    public Optional<String> optional(String name) {
        return optional(name, null);
    }

    /** A text option without default. */
    public Optional<String> optional(String name, String help) {
        return value(new Option(name, "TEXT", null, null, help));
    }

    private Optional<String> value(Option option) {
        options.putIfAbsent(option.name(), option);
        String value = args.get(option.name());
        if (value == null) {
            value = env.get(envName(option.name()));
        }
        return Optional.ofNullable(value).map(String::strip).filter(v -> !v.isEmpty());
    }

    public String string(String name, String defaultValue) {
        return string(name, defaultValue, null);
    }

    public String string(String name, String defaultValue, String help) {
        return value(new Option(name, "TEXT", defaultValue, null, help)).orElse(defaultValue);
    }

    /** One of {@code allowed}, compared exactly. */
    public String choice(String name, String defaultValue, List<String> allowed, String help) {
        return value(new Option(name, String.join("|", allowed), defaultValue, null, help)).map(v -> {
            if (!allowed.contains(v)) {
                throw bad(name, v, "expected " + String.join(", ", allowed.subList(0, allowed.size() - 1))
                        + (allowed.size() > 1 ? " or " : "") + allowed.getLast());
            }
            return v;
        }).orElse(defaultValue);
    }

    public boolean bool(String name) {
        return bool(name, null);
    }

    /** A switch: {@code --name} alone is true; default false. */
    public boolean bool(String name, String help) {
        return value(new Option(name, null, null, null, help)).map(v -> switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw bad(name, v, "expected true or false");
        }).orElse(false);
    }

    public int integer(String name, int defaultValue, int min, int max) {
        return integer(name, defaultValue, min, max, null);
    }

    public int integer(String name, int defaultValue, int min, int max, String help) {
        return value(new Option(name, "N", Integer.toString(defaultValue), "whole number " + min + ".." + max, help)).map(v -> {
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

    public Duration duration(String name, Duration defaultValue, Duration min, Duration max) {
        return duration(name, defaultValue, min, max, null);
    }

    /** A duration such as {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 7d}. */
    public Duration duration(String name, Duration defaultValue, Duration min, Duration max, String help) {
        String range = "duration " + format(min) + ".." + format(max);
        return value(new Option(name, "DURATION", format(defaultValue), range, help)).map(v -> {
            Duration d = parseDuration(v);
            if (d == null) {
                throw bad(name, v, "expected a duration such as 500ms, 30s, 5m, 2h or 7d");
            }
            if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
                throw bad(name, v, "must be between " + format(min) + " and " + format(max));
            }
            return d;
        }).orElse(defaultValue);
    }

    public long bytes(String name, long defaultValue, long min) {
        return bytes(name, defaultValue, min, null);
    }

    /** A size such as {@code 1048576}, {@code 512KiB}, {@code 1MiB}, {@code 1GiB}; {@code 1MB} or {@code 1M} are refused. */
    public long bytes(String name, long defaultValue, long min, String help) {
        String range = "size, at least " + formatBytes(min);
        return value(new Option(name, "SIZE", formatBytes(defaultValue), range, help)).map(v -> {
            if (AMBIGUOUS_BYTES.matcher(v.toLowerCase(Locale.ROOT)).matches()) {
                throw bad(name, v, "ambiguous unit (1000 or 1024?): use KiB, MiB or GiB");
            }
            long n = parseBytes(v);
            if (n < 0) {
                throw bad(name, v, "expected a size such as 1048576, 512KiB, 1MiB or 1GiB");
            }
            if (n < min) {
                throw bad(name, v, "must be at least " + formatBytes(min));
            }
            return n;
        }).orElse(defaultValue);
    }

    /** Stops start-up when a flag was given on the command line that no one read. */
    public void rejectUnknown() {
        for (String name : args.keySet()) {
            if (!options.containsKey(name)) {
                throw new ConfigException("unknown option --" + name + " (--help lists them)");
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

    /** {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 7d}: the largest unit that is exact. */
    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms == 0) {
            return "0s";
        }
        long[] units = {86_400_000, 3_600_000, 60_000, 1000, 1};
        String[] names = {"d", "h", "m", "s", "ms"};
        for (int i = 0; i < units.length; i++) {
            if (ms % units[i] == 0) {
                return ms / units[i] + names[i];
            }
        }
        return ms + "ms";
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

    /** {@code 1GiB}, {@code 64KiB}, or plain bytes: the largest binary unit that is exact. */
    static String formatBytes(long n) {
        String[] units = {"TiB", "GiB", "MiB", "KiB"};
        for (int i = 0; i < units.length; i++) {
            int shift = 40 - 10 * i;
            if (n != 0 && n % (1L << shift) == 0) {
                return (n >> shift) + units[i];
            }
        }
        return n + " bytes";
    }
}
