package org.leapformer.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StatsTest {

    @Test
    void tQuantilesMatchTheTables() {
        assertEquals(2.7764, Stats.tQuantile(0.975, 4), 1e-4);
        assertEquals(2.2622, Stats.tQuantile(0.975, 9), 1e-4);
        assertEquals(12.7062, Stats.tQuantile(0.975, 1), 1e-4);
        // more digits and other levels (R: qt)
        assertEquals(2.776445105, Stats.tQuantile(0.975, 4), 1e-8);
        assertEquals(12.70620474, Stats.tQuantile(0.975, 1), 1e-7);
        assertEquals(1.812461123, Stats.tQuantile(0.95, 10), 1e-8);
        assertEquals(9.924843201, Stats.tQuantile(0.995, 2), 1e-7);
        assertEquals(2.042272456, Stats.tQuantile(0.975, 30), 1e-8);
        assertEquals(63.65674116, Stats.tQuantile(0.995, 1), 1e-6);
        assertEquals(1.0, Stats.tQuantile(0.75, 1), 1e-12); // Cauchy: tan(π/4)
        assertEquals(-2.7764451, Stats.tQuantile(0.025, 4), 1e-6);
        assertEquals(0, Stats.tQuantile(0.5, 7), 0);
        // large df tends to the normal quantile 1.959964
        assertEquals(1.962339, Stats.tQuantile(0.975, 1000), 1e-5);
    }

    @Test
    void tCdfInvertsTheQuantileAndMatchesClosedForms() {
        // df = 1 is Cauchy: F(t) = 1/2 + atan(t)/π; df = 2: F(t) = 1/2 + t / (2 sqrt(2 + t²))
        for (double t : new double[] {-5, -1, -0.3, 0, 0.2, 1, 3, 40}) {
            assertEquals(0.5 + Math.atan(t) / Math.PI, Stats.tCdf(t, 1), 1e-13);
            assertEquals(0.5 + t / (2 * Math.sqrt(2 + t * t)), Stats.tCdf(t, 2), 1e-13);
        }
        for (double df : new double[] {1, 2, 3.5, 7, 29}) {
            for (double p : new double[] {0.6, 0.9, 0.975, 0.999}) {
                assertEquals(p, Stats.tCdf(Stats.tQuantile(p, df), df), 1e-12);
            }
        }
    }

    @Test
    void logGammaAndIncompleteBeta() {
        assertEquals(Math.log(24), Stats.logGamma(5), 1e-13);
        assertEquals(0.5 * Math.log(Math.PI), Stats.logGamma(0.5), 1e-13);
        // I_x(1, 1) = x; I_x(a, 1) = x^a
        assertEquals(0.3, Stats.regularizedBeta(0.3, 1, 1), 1e-14);
        assertEquals(Math.pow(0.4, 3), Stats.regularizedBeta(0.4, 3, 1), 1e-14);
    }

    @Test
    void meanSdAndPairedIntervalAgainstHandComputedValues() {
        double[] a = {1, 2, 3, 4, 5};
        double[] b = {0.5, 1.5, 3.5, 3, 4};
        assertEquals(3, Stats.mean(a), 1e-15);
        assertEquals(Math.sqrt(2.5), Stats.sd(a), 1e-15);
        // d = 0.5, 0.5, -0.5, 1, 1: mean 0.5, squares of deviations 0, 0, 1, .25, .25 → var 1.5 / 4
        Stats.Interval i = Stats.paired(a, b, 0.95);
        double sd = Math.sqrt(0.375);
        double half = 2.776445105 * sd / Math.sqrt(5);
        assertEquals(0.5, i.mean(), 1e-15);
        assertEquals(sd, i.sd(), 1e-15);
        assertEquals(5, i.n());
        assertEquals(0.5 - half, i.low(), 1e-9);
        assertEquals(0.5 + half, i.high(), 1e-9);
        assertEquals(-0.2603613, i.low(), 1e-6);
        assertEquals(1.2603613, i.high(), 1e-6);
        // two seeds: 1 degree of freedom
        Stats.Interval two = Stats.paired(new double[] {0.8, 0.7}, new double[] {0.6, 0.6}, 0.95);
        assertEquals(0.15, two.mean(), 1e-12);
        assertEquals(Math.sqrt(0.005), two.sd(), 1e-12);
        assertEquals(0.15 + 12.70620474 * Math.sqrt(0.005) / Math.sqrt(2), two.high(), 1e-7);
        assertTrue(Double.isNaN(Stats.sd(new double[] {1})));
    }

    @Test
    void badInputsNameWhatWasExpected() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Stats.paired(new double[] {1, 2}, new double[] {1}, 0.95));
        assertTrue(e.getMessage().contains("found 2 and 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Stats.paired(new double[] {1}, new double[] {1}, 0.95));
        assertTrue(e.getMessage().contains("at least 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Stats.tQuantile(1, 3));
        assertThrows(IllegalArgumentException.class, () -> Stats.tQuantile(0.9, 0));
        assertThrows(IllegalArgumentException.class, () -> Stats.mean(new double[0]));
    }
}
