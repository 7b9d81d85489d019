package org.leapformer.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Command-line options of the form {@code --name value} or {@code --flag}, checked against the
 * names a command knows; every getter names the option, what it expects and what it found.
 */
final class Args {

    private final String command;
    private final Map<String, String> values = new LinkedHashMap<>();

    private Args(String command) {
        this.command = command;
    }

    /**
     * @param options names taking a value
     * @param flags names without a value
     */
    static Args parse(String command, String[] args, int from, Set<String> options, Set<String> flags) {
        Args a = new Args(command);
        for (int i = from; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException(command + ": expected an option --name, found '" + arg + "'");
            }
            String name = arg.substring(2);
            if (flags.contains(name)) {
                a.values.put(name, "true");
            } else if (options.contains(name)) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(command + " --" + name + ": expected a value, found nothing");
                }
                a.values.put(name, args[++i]);
            } else {
                Set<String> known = new TreeSet<>(options);
                known.addAll(flags);
                throw new IllegalArgumentException(command + ": unknown option '" + arg + "'; expected one of --"
                        + String.join(", --", known));
            }
        }
        return a;
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    boolean flag(String name) {
        return values.containsKey(name);
    }

    String string(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    String required(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException(command + ": expected --" + name + ", found none");
        }
        return v;
    }

    String choice(String name, String fallback, String... choices) {
        String v = string(name, fallback).toLowerCase(Locale.ROOT);
        for (String c : choices) {
            if (c.equals(v)) {
                return v;
            }
        }
        throw new IllegalArgumentException(command + " --" + name + ": expected one of " + String.join(", ", choices)
                + ", found '" + v + "'");
    }

    int positiveInt(String name, int fallback) {
        long v = positiveLong(name, fallback);
        if (v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(command + " --" + name + ": expected at most " + Integer.MAX_VALUE
                    + ", found " + v);
        }
        return (int) v;
    }

    long positiveLong(String name, long fallback) {
        String s = values.get(name);
        if (s == null) {
            return fallback;
        }
        try {
            long v = Long.parseLong(s.trim());
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(command + " --" + name + ": expected a positive integer, found '" + s + "'");
    }

    long nonNegativeLong(String name, long fallback) {
        String s = values.get(name);
        if (s == null) {
            return fallback;
        }
        try {
            long v = Long.parseLong(s.trim());
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(command + " --" + name + ": expected an integer >= 0, found '" + s + "'");
    }

    double number(String name, double fallback, double min, double max) {
        String s = values.get(name);
        if (s == null) {
            return fallback;
        }
        try {
            double v = Double.parseDouble(s.trim());
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(command + " --" + name + ": expected a number in [" + min + ", " + max
                + "], found '" + s + "'");
    }

    Path path(String name, Path fallback) {
        String s = values.get(name);
        return s == null ? fallback : Path.of(s);
    }

    /** The options as given, for the run record. */
    Map<String, String> asMap() {
        return new LinkedHashMap<>(values);
    }
}
