package org.leapformer.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.leapformer.LeapEngine;
import org.leapformer.data.AtomicFiles;
import org.leapformer.train.TrainingListener;

/**
 * Trains several attentions with the same budget on the same data and writes a results table
 * (markdown: test metrics of each run's checkpoint chosen on validation) and a plot of the
 * validation curves (SVG): the paper's claim to test is "LeaP at
 * least as accurate as cosFormer, close to softmax".
 */
final class Experiment {

    private static final String[] COLOURS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"};

    private Experiment() {}

    static int run(String[] args, PrintStream out) {
        Set<String> options = new java.util.HashSet<>(Training.TRAIN_OPTIONS);
        options.remove("task");
        options.remove("attention");
        options.addAll(List.of("tasks", "attentions"));
        Args a = Args.parse("experiment", args, 1, options, Set.of("quiet"));
        Path dir = a.path("out", null);
        if (dir == null) {
            throw new IllegalArgumentException("experiment: expected --out DIR, found none");
        }
        List<String> tasks = list(a.string("tasks", "listops,lm"), "tasks", List.of("listops", "lm"));
        List<String> kinds = list(a.string("attentions", "leap,cosformer,softmax"), "attentions",
                List.of("leap", "cosformer", "softmax", "relu"));
        Map<String, Map<String, Training.Outcome>> results = new LinkedHashMap<>();
        for (String task : tasks) {
            for (String kind : kinds) {
                List<String> runArgs = new ArrayList<>(List.of("train", "--task", task, "--attention", kind, "--out",
                        dir.resolve(task + "-" + kind).toString()));
                a.asMap().forEach((k, v) -> {
                    if (!k.equals("out") && !k.equals("tasks") && !k.equals("attentions") && !k.equals("quiet")) {
                        runArgs.add("--" + k);
                        runArgs.add(v);
                    }
                });
                out.println("experiment: " + task + " / " + kind);
                Args runOptions = Args.parse("train", runArgs.toArray(new String[0]), 1, Training.TRAIN_OPTIONS,
                        Set.of());
                Training.Outcome o = Training.run(runOptions, out, !a.flag("quiet"));
                results.computeIfAbsent(task, t -> new LinkedHashMap<>()).put(kind, o);
            }
        }
        String table = table(results, a);
        AtomicFiles.write(dir.resolve("results.md"), w -> w.write(table));
        AtomicFiles.write(dir.resolve("results.svg"), w -> w.write(svg(results)));
        out.println(table);
        out.println("experiment: wrote " + dir.resolve("results.md") + " and " + dir.resolve("results.svg"));
        return 0;
    }

    private static List<String> list(String value, String name, List<String> valid) {
        List<String> items = new ArrayList<>();
        for (String s : value.split(",")) {
            String t = s.trim().toLowerCase(Locale.ROOT);
            if (!valid.contains(t)) {
                throw new IllegalArgumentException("experiment --" + name + ": expected a comma-separated list of "
                        + valid + ", found '" + s.trim() + "'");
            }
            items.add(t);
        }
        return items;
    }

    /** The metric shown for a task: accuracy for ListOps, loss (nats/token) for the LM. */
    static String metric(String task) {
        return task.equals(TaskData.LISTOPS) ? "accuracy" : "loss";
    }

    private static String table(Map<String, Map<String, Training.Outcome>> results, Args a) {
        StringBuilder b = new StringBuilder("# Experiment: the same budget for every attention\n\n");
        b.append("Engine: ").append(LeapEngine.ensureInitialized()).append(". Options: ").append(a.asMap())
                .append(".\n\n");
        for (var task : results.entrySet()) {
            String m = metric(task.getKey());
            b.append("## ").append(task.getKey().equals(TaskData.LISTOPS) ? "ListOps (classification, 10 classes)"
                    : "Language modelling (shipped corpus)").append("\n\n");
            b.append("| attention | parameters | steps | seconds | test ").append(m)
                    .append(task.getKey().equals(TaskData.LM) ? " | test perplexity" : "")
                    .append(" | validation ").append(m).append(" (step chosen) |\n|---|---|---|---|---|")
                    .append(task.getKey().equals(TaskData.LM) ? "---|" : "").append("---|\n");
            String splits = null;
            for (var run : task.getValue().entrySet()) {
                Training.Outcome o = run.getValue();
                Map<String, Double> test = o.result().test();
                b.append(String.format(Locale.ROOT, "| %s | %d | %d | %.0f | %.4f", run.getKey(), o.parameters(),
                        o.result().steps(), o.seconds(), test.getOrDefault(m, Double.NaN)));
                if (task.getKey().equals(TaskData.LM)) {
                    b.append(String.format(Locale.ROOT, " | %.2f", test.getOrDefault("perplexity", Double.NaN)));
                }
                b.append(String.format(Locale.ROOT, " | %.4f (%d) |%n", o.result().best(), o.result().bestStep()));
                splits = o.splits().toString();
            }
            b.append("\nTest: each run's checkpoint chosen on the best validation ").append(m)
                    .append(", evaluated once on the test set. Model seed ").append(a.string("seed", "42"))
                    .append(", data seed ").append(a.string("data-seed", "42")).append(" (the same data for every "
                            + "attention)").append(splits == null ? "" : "; " + splits).append(".\n");
            b.append('\n');
        }
        return b.toString();
    }

    /** One panel per task: the validation metric against the step, one line per attention. */
    static String svg(Map<String, Map<String, Training.Outcome>> results) {
        int panelW = 420;
        int panelH = 300;
        int left = 60;
        int top = 40;
        int width = panelW * results.size() + 20;
        int height = panelH + 80;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>%n",
                width, height));
        int panel = 0;
        for (var task : results.entrySet()) {
            String m = metric(task.getKey());
            double minX = 0;
            double maxX = 1;
            double minY = Double.POSITIVE_INFINITY;
            double maxY = Double.NEGATIVE_INFINITY;
            for (Training.Outcome o : task.getValue().values()) {
                for (TrainingListener.Evaluation e : o.evaluations()) {
                    double y = e.metrics().getOrDefault(m, Double.NaN);
                    if (Double.isFinite(y)) {
                        minY = Math.min(minY, y);
                        maxY = Math.max(maxY, y);
                    }
                    maxX = Math.max(maxX, e.step());
                }
            }
            if (!(minY < maxY)) {
                minY = Double.isFinite(minY) ? minY - 0.5 : 0;
                maxY = minY + 1;
            }
            double pad = 0.05 * (maxY - minY);
            minY -= pad;
            maxY += pad;
            int x0 = panel * panelW + left;
            int plotW = panelW - left - 20;
            int plotH = panelH - 60;
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"14\">%s: validation %s</text>%n",
                    x0, top - 15, task.getKey().equals(TaskData.LISTOPS) ? "ListOps" : "Language model", m));
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                    + "stroke=\"#999999\"/>%n", x0, top, plotW, plotH));
            for (int i = 0; i <= 4; i++) {
                double yv = minY + (maxY - minY) * i / 4;
                double py = top + plotH - (yv - minY) / (maxY - minY) * plotH;
                s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eeeeee\"/>"
                        + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.3f</text>%n", x0, py, x0 + plotW, py, x0 - 5,
                        py + 4, yv));
                double xv = minX + (maxX - minX) * i / 4;
                double px = x0 + (xv - minX) / (maxX - minX) * plotW;
                s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.0f</text>%n", px,
                        top + plotH + 15, xv));
            }
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">step</text>%n",
                    x0 + plotW / 2, top + plotH + 32));
            int c = 0;
            for (var run : task.getValue().entrySet()) {
                String colour = COLOURS[c % COLOURS.length];
                StringBuilder pts = new StringBuilder();
                for (TrainingListener.Evaluation e : run.getValue().evaluations()) {
                    double y = e.metrics().getOrDefault(m, Double.NaN);
                    if (Double.isFinite(y)) {
                        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x0 + (e.step() - minX) / (maxX - minX) * plotW,
                                top + plotH - (y - minY) / (maxY - minY) * plotH));
                    }
                }
                s.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" "
                        + "stroke-width=\"2\"/>%n", pts.toString().trim(), colour));
                int ly = top + plotH + 50 + 0;
                int lx = x0 + c * 110;
                s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                        + "stroke-width=\"3\"/><text x=\"%d\" y=\"%d\">%s</text>%n", lx, ly - 4, lx + 20, ly - 4, colour,
                        lx + 25, ly, run.getKey()));
                c++;
            }
            panel++;
        }
        return s.append("</svg>\n").toString();
    }
}
