package org.leapformer.study;

import java.util.Locale;

/**
 * How large a study is: a factor on steps and set sizes relative to {@code full} (1.0). Named
 * scales: {@code quick} (0.02: a tiny model and a few steps, for CI), {@code small} (0.25) and
 * {@code full} (1.0, about an hour on 2 cores for the default study). Any positive number is a
 * scale too; a factor below 0.1 also shrinks the model (tasks decide how).
 */
public record Scale(String name, double factor) {

    public static final Scale QUICK = new Scale("quick", 0.02);
    public static final Scale SMALL = new Scale("small", 0.25);
    public static final Scale FULL = new Scale("full", 1.0);

    public Scale {
        if (name == null || !name.matches("[a-z0-9.]+")) {
            throw new IllegalArgumentException("scale: expected a name of lower-case letters, digits and dots, found '"
                    + name + "'");
        }
        if (!(factor > 0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("scale: expected a factor > 0, found " + factor);
        }
    }

    /** Whether tasks use their tiny CI model. */
    public boolean tiny() {
        return factor < 0.1;
    }

    /** {@code round(full × factor)}, at least {@code min}. */
    public int of(int full, int min) {
        return (int) Math.max(min, Math.round(full * factor));
    }

    /** quick, small, full or a positive number (its name is the number as given). */
    public static Scale parse(String s) {
        String v = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "quick":
                return QUICK;
            case "small":
                return SMALL;
            case "full":
                return FULL;
            default:
                try {
                    double f = Double.parseDouble(v);
                    if (f > 0 && !Double.isInfinite(f)) {
                        return new Scale(Double.toString(f), f);
                    }
                } catch (NumberFormatException ignored) {
                    // reported below
                }
                throw new IllegalArgumentException("--scale: expected quick, small, full or a factor > 0, found '" + s
                        + "'");
        }
    }
}
