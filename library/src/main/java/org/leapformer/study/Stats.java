package org.leapformer.study;

/**
 * The statistics of a study: mean, sample standard deviation, Student's t quantiles and the
 * paired difference of two methods over the same seeds with its confidence interval.
 */
public final class Stats {

    private Stats() {}

    /** A mean paired difference {@code a − b} over {@code n} seeds and its two-sided interval. */
    public record Interval(double mean, double sd, int n, double level, double t, double low, double high) {}

    public static double mean(double[] x) {
        requireSome(x, 1, "mean");
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return s / x.length;
    }

    /** The sample standard deviation (n − 1 in the denominator); NaN for one value. */
    public static double sd(double[] x) {
        requireSome(x, 1, "sd");
        if (x.length == 1) {
            return Double.NaN;
        }
        double m = mean(x);
        double s = 0;
        for (double v : x) {
            s += (v - m) * (v - m);
        }
        return Math.sqrt(s / (x.length - 1));
    }

    /**
     * The mean of {@code a[i] − b[i]} (the same seed i for both) with its two-sided {@code level}
     * interval, mean ± t_{(1+level)/2, n−1} · sd / √n.
     *
     * @throws IllegalArgumentException when the lengths differ or there are fewer than 2 pairs
     */
    public static Interval paired(double[] a, double[] b, double level) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("paired difference: expected as many values of each method (one per "
                    + "seed), found " + a.length + " and " + b.length);
        }
        requireSome(a, 2, "paired difference");
        if (!(level > 0 && level < 1)) {
            throw new IllegalArgumentException("paired difference: expected a level in (0, 1), found " + level);
        }
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        double m = mean(d);
        double s = sd(d);
        double t = tQuantile((1 + level) / 2, d.length - 1);
        double half = t * s / Math.sqrt(d.length);
        return new Interval(m, s, d.length, level, t, m - half, m + half);
    }

    /**
     * The quantile of Student's t distribution with {@code df} degrees of freedom: the t with
     * P(T ≤ t) = p, found by bisection on {@link #tCdf} (to double precision).
     */
    public static double tQuantile(double p, double df) {
        if (!(p > 0 && p < 1)) {
            throw new IllegalArgumentException("t quantile: expected a probability in (0, 1), found " + p);
        }
        if (!(df > 0) || Double.isInfinite(df)) {
            throw new IllegalArgumentException("t quantile: expected degrees of freedom > 0, found " + df);
        }
        if (p == 0.5) {
            return 0;
        }
        if (p < 0.5) {
            return -tQuantile(1 - p, df);
        }
        double lo = 0;
        double hi = 1;
        while (tCdf(hi, df) < p) {
            lo = hi;
            hi *= 2;
            if (hi > 1e300) {
                return Double.POSITIVE_INFINITY;
            }
        }
        for (int i = 0; i < 2000 && hi - lo > 1e-15 * Math.max(1, hi); i++) {
            double mid = (lo + hi) / 2;
            if (tCdf(mid, df) < p) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return (lo + hi) / 2;
    }

    /** P(T ≤ t) for Student's t with {@code df} degrees of freedom, through the regularized incomplete beta. */
    public static double tCdf(double t, double df) {
        if (Double.isNaN(t) || !(df > 0)) {
            throw new IllegalArgumentException("t CDF: expected a number t and df > 0, found t " + t + ", df " + df);
        }
        double x = df / (df + t * t);
        double tail = 0.5 * regularizedBeta(x, df / 2, 0.5);
        return t >= 0 ? 1 - tail : tail;
    }

    /** I_x(a, b), the regularized incomplete beta function (Numerical Recipes' continued fraction). */
    public static double regularizedBeta(double x, double a, double b) {
        if (!(x >= 0 && x <= 1) || !(a > 0) || !(b > 0)) {
            throw new IllegalArgumentException("incomplete beta: expected 0 <= x <= 1, a > 0, b > 0, found x " + x
                    + ", a " + a + ", b " + b);
        }
        if (x == 0 || x == 1) {
            return x;
        }
        double front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
        if (x < (a + 1) / (a + b + 2)) {
            return front * betaFraction(x, a, b) / a;
        }
        return 1 - front * betaFraction(1 - x, b, a) / b;
    }

    /** Lentz's guard against a zero denominator. */
    private static final double TINY = 1e-300;

    private static double betaFraction(double x, double a, double b) {
        double qab = a + b;
        double qap = a + 1;
        double qam = a - 1;
        double d0 = 1 - qab * x / qap;
        double[] cd = {1, 1 / (Math.abs(d0) < TINY ? TINY : d0)}; // Lentz's c and d
        double h = cd[1];
        for (int m = 1; m <= 10_000; m++) {
            int m2 = 2 * m;
            h *= lentz(cd, m * (b - m) * x / ((qam + m2) * (a + m2)));
            double del = lentz(cd, -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)));
            h *= del;
            if (Math.abs(del - 1) < 1e-16) {
                return h;
            }
        }
        throw new IllegalStateException("incomplete beta: the continued fraction did not converge for x " + x
                + ", a " + a + ", b " + b);
    }

    /**
     * One step of Lentz's method for a continued fraction 1 / (1 + aa / (1 + ...)): updates c and d
     * (kept away from 0) and returns the factor c·d the convergent is multiplied by.
     */
    private static double lentz(double[] cd, double aa) {
        double d = 1 + aa * cd[1];
        double c = 1 + aa / cd[0];
        cd[1] = 1 / (Math.abs(d) < TINY ? TINY : d);
        cd[0] = Math.abs(c) < TINY ? TINY : c;
        return cd[0] * cd[1];
    }

    private static final double[] LANCZOS = {0.99999999999980993, 676.5203681218851, -1259.1392167224028,
        771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
        1.5056327351493116e-7};

    /** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error about 1e-15). */
    public static double logGamma(double x) {
        if (!(x > 0)) {
            throw new IllegalArgumentException("log gamma: expected x > 0, found " + x);
        }
        if (x < 0.5) {
            // reflection: Γ(x) Γ(1 − x) = π / sin(πx)
            return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
        }
        double z = x - 1;
        double s = LANCZOS[0];
        for (int i = 1; i < LANCZOS.length; i++) {
            s += LANCZOS[i] / (z + i);
        }
        double t = z + 7.5;
        return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
    }

    private static void requireSome(double[] x, int min, String what) {
        if (x == null || x.length < min) {
            throw new IllegalArgumentException(what + ": expected at least " + min + " value" + (min == 1 ? "" : "s")
                    + ", found " + (x == null ? "none" : x.length));
        }
    }
}
