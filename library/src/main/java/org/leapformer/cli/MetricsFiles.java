package org.leapformer.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.leapformer.data.AtomicFiles;
import org.leapformer.train.TrainingListener;
import org.leapformer.train.TrainingResult;

/**
 * Writes a run's metrics as {@code steps.csv} (every step) and {@code evaluations.csv} (every
 * evaluation), rewritten atomically at each evaluation and at the end, so a crash never leaves a
 * half-written file.
 */
final class MetricsFiles implements TrainingListener {

    private final Path dir;
    private final List<String> steps = new ArrayList<>();
    private final List<Evaluation> evaluations = new ArrayList<>();

    MetricsFiles(Path dir) {
        this.dir = dir;
    }

    List<Evaluation> evaluations() {
        return evaluations;
    }

    @Override
    public void onStep(Step s) {
        steps.add(String.format(Locale.ROOT, "%d,%.6f,%.6g,%.6f,%.1f", s.step(), s.loss(), s.learningRate(),
                s.gradNorm(), s.tokensPerSecond()));
    }

    @Override
    public void onEvaluation(Evaluation e) {
        evaluations.add(e);
        flush();
    }

    @Override
    public void onEnd(TrainingResult r) {
        flush();
    }

    private void flush() {
        AtomicFiles.write(dir.resolve("steps.csv"), out -> {
            out.write("step,loss,learning_rate,grad_norm,tokens_per_second\n");
            for (String line : steps) {
                out.write(line);
                out.write('\n');
            }
        });
        TreeSet<String> names = new TreeSet<>();
        evaluations.forEach(e -> names.addAll(e.metrics().keySet()));
        AtomicFiles.write(dir.resolve("evaluations.csv"), out -> {
            out.write("step," + String.join(",", names) + ",improved\n");
            for (Evaluation e : evaluations) {
                StringBuilder b = new StringBuilder().append(e.step());
                for (String n : names) {
                    Double v = e.metrics().get(n);
                    b.append(',').append(v == null ? "" : String.format(Locale.ROOT, "%.6f", v));
                }
                out.write(b.append(',').append(e.improved()).append('\n').toString());
            }
        });
    }

    static String json(Map<String, Double> metrics) {
        StringBuilder b = new StringBuilder("{");
        metrics.forEach((k, v) -> b.append(b.length() > 1 ? ", " : "").append('"').append(k).append("\": ")
                .append(String.format(Locale.ROOT, "%.6f", v)));
        return b.append('}').toString();
    }
}
