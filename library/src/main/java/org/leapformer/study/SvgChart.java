package org.leapformer.study;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small scatter / line chart written as SVG text (no dependencies, the same bytes on every
 * machine, so a generated figure can be checked like a table): series of points with labels and
 * optional vertical error bars, linear axes from the data, a legend on the right.
 */
final class SvgChart {

    /** A point: x, y, the half-height of its error bar (0: none) and a label (may be empty). */
    record Point(double x, double y, double error, String label) {}

    /** A named series, drawn as points, joined by a line when {@code line}. */
    record Series(String name, List<Point> points, boolean line) {}

    private static final String[] COLOURS = {"#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860"};

    private SvgChart() {}

    static String render(String title, String xLabel, String yLabel, List<Series> series) {
        int w = 680;
        int h = 440;
        int l = 80;
        int r = 150;
        int t = 48;
        int b = 60;
        double[] xr = range(series, true);
        double[] yr = range(series, false);
        int pw = w - l - r;
        int ph = h - t - b;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
                + "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", w, h, w, h));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"26\" font-size=\"14\">%s</text>\n", l, esc(title)));
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                + "stroke=\"#888\"/>\n", l, t, pw, ph));
        for (int i = 0; i <= 5; i++) {
            double xv = xr[0] + (xr[1] - xr[0]) * i / 5;
            double yv = yr[0] + (yr[1] - yr[0]) * i / 5;
            int x = l + pw * i / 5;
            int y = t + ph - ph * i / 5;
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#eee\"/>\n", l, y,
                    l + pw, y));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x,
                    t + ph + 18, tick(xv, xr)));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", l - 6, y + 4,
                    tick(yv, yr)));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", l + pw / 2,
                h - 18, esc(xLabel)));
        s.append(String.format(Locale.ROOT, "<text x=\"18\" y=\"%d\" transform=\"rotate(-90 18 %d)\" "
                + "text-anchor=\"middle\">%s</text>\n", t + ph / 2, t + ph / 2, esc(yLabel)));
        for (int c = 0; c < series.size(); c++) {
            Series se = series.get(c);
            String colour = COLOURS[c % COLOURS.length];
            StringBuilder pts = new StringBuilder();
            for (Point p : se.points()) {
                if (!Double.isFinite(p.x()) || !Double.isFinite(p.y())) {
                    continue;
                }
                double x = l + pw * (p.x() - xr[0]) / (xr[1] - xr[0]);
                double y = t + ph - ph * (p.y() - yr[0]) / (yr[1] - yr[0]);
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                if (p.error() > 0 && Double.isFinite(p.error())) {
                    double e = ph * p.error() / (yr[1] - yr[0]);
                    s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                            + "stroke=\"%s\"/>\n", x, y - e, x, y + e, colour));
                }
                s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n", x, y,
                        colour));
                if (!p.label().isEmpty()) {
                    s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">%s</text>\n",
                            x + 6, y - 6, esc(p.label())));
                }
            }
            if (se.line() && pts.length() > 0) {
                s.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" "
                        + "stroke-width=\"2\"/>\n", pts.toString().trim(), colour));
            }
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>\n", w - r + 16, t + 20 * c, colour, w - r + 34,
                    t + 20 * c + 11, esc(se.name())));
        }
        return s.append("</svg>\n").toString();
    }

    /** The axis range: the data's, widened by a tenth on each side (or ±1 around a single value). */
    private static double[] range(List<Series> series, boolean x) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (Series se : series) {
            for (Point p : se.points()) {
                double v = x ? p.x() : p.y();
                double e = x ? 0 : (Double.isFinite(p.error()) ? p.error() : 0);
                if (Double.isFinite(v)) {
                    lo = Math.min(lo, v - e);
                    hi = Math.max(hi, v + e);
                }
            }
        }
        if (!(lo <= hi)) {
            return new double[] {0, 1};
        }
        double pad = hi > lo ? (hi - lo) / 10 : Math.max(1e-9, Math.abs(lo) / 10 + 1e-3);
        // non-negative data (speeds, BLEU, lagging) keeps a non-negative axis
        return new double[] {lo >= 0 ? Math.max(0, lo - pad) : lo - pad, hi + pad};
    }

    private static String tick(double v, double[] r) {
        double span = r[1] - r[0];
        if (Math.abs(v) >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        int digits = span >= 50 ? 0 : span >= 5 ? 1 : span >= 0.5 ? 2 : span >= 0.05 ? 3 : 4;
        return String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    static List<Point> points() {
        return new ArrayList<>();
    }
}
