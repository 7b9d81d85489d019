package org.leapformer.cli;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.leapformer.data.AtomicFiles;
import org.leapformer.train.TrainingListener;
import org.leapformer.train.TrainingResult;

/**
 * A run's metrics: {@code steps.csv} (one row per step) and {@code evaluations.csv} (one row per
 * evaluation), each row appended and flushed as it happens, so a killed process loses nothing
 * the operating system was given.
 *
 * <p>A resumed run keeps the history: the rows up to the checkpoint's step are kept, later ones
 * (done after the checkpoint, before the kill) and a torn last line are dropped, and the steps
 * the resumed run repeats are appended again. So after any sequence of kills and resumes every
 * step is in the files exactly once up to the last checkpoint.
 */
final class MetricsFiles implements TrainingListener, AutoCloseable {

    static final String STEPS = "steps.csv";
    static final String EVALUATIONS = "evaluations.csv";
    private static final String STEPS_HEADER = "step,loss,learning_rate,grad_norm,tokens_per_second";

    private final Path dir;
    private final List<Evaluation> evaluations = new ArrayList<>();
    private List<String> metricNames;
    private double lastLoss = Double.NaN;
    private BufferedWriter steps;
    private BufferedWriter evals;

    /**
     * @param keepUpTo for a resumed run the checkpoint's step: rows after it are dropped; −1 for a
     *     new run, whose files start empty
     */
    MetricsFiles(Path dir, long keepUpTo) {
        this.dir = dir;
        List<String> stepRows = keepUpTo < 0 ? List.of() : readRows(dir.resolve(STEPS), STEPS_HEADER, keepUpTo);
        if (!stepRows.isEmpty()) {
            lastLoss = Double.parseDouble(stepRows.get(stepRows.size() - 1).split(",")[1]);
        }
        AtomicFiles.write(dir.resolve(STEPS), out -> {
            out.write(STEPS_HEADER + "\n");
            for (String r : stepRows) {
                out.write(r + "\n");
            }
        });
        List<String> evalRows = List.of();
        if (keepUpTo >= 0 && Files.isRegularFile(dir.resolve(EVALUATIONS))) {
            String header = firstLine(dir.resolve(EVALUATIONS));
            if (header != null && header.startsWith("step,") && header.endsWith(",improved,best")) {
                String[] cols = header.split(",");
                metricNames = List.of(Arrays.copyOfRange(cols, 1, cols.length - 2));
                evalRows = readRows(dir.resolve(EVALUATIONS), header, keepUpTo);
                for (String r : evalRows) {
                    evaluations.add(parseEvaluation(r));
                }
            }
        }
        List<String> keptEvals = evalRows;
        if (metricNames != null) {
            AtomicFiles.write(dir.resolve(EVALUATIONS), out -> {
                out.write(evaluationsHeader() + "\n");
                for (String r : keptEvals) {
                    out.write(r + "\n");
                }
            });
        } else {
            try {
                Files.deleteIfExists(dir.resolve(EVALUATIONS)); // written at the first evaluation
            } catch (IOException e) {
                throw new UncheckedIOException("cannot replace " + dir.resolve(EVALUATIONS), e);
            }
        }
        steps = append(dir.resolve(STEPS));
        if (metricNames != null) {
            evals = append(dir.resolve(EVALUATIONS));
        }
    }

    /** Every evaluation of the run, also those before a resume. */
    List<Evaluation> evaluations() {
        return Collections.unmodifiableList(evaluations);
    }

    /** The training loss of the last step in the files (NaN when there is none). */
    double lastLoss() {
        return lastLoss;
    }

    /** The metrics of the last evaluation in the files (empty when there is none). */
    Map<String, Double> lastEvaluation() {
        return evaluations.isEmpty() ? Map.of() : evaluations.get(evaluations.size() - 1).metrics();
    }

    @Override
    public void onStep(Step s) {
        lastLoss = s.loss();
        write(steps, String.format(Locale.ROOT, "%d,%.6f,%.6g,%.6f,%.1f", s.step(), s.loss(), s.learningRate(),
                s.gradNorm(), s.tokensPerSecond()), STEPS);
    }

    @Override
    public void onEvaluation(Evaluation e) {
        if (metricNames == null) {
            metricNames = List.copyOf(new TreeSet<>(e.metrics().keySet()));
            AtomicFiles.write(dir.resolve(EVALUATIONS), out -> out.write(evaluationsHeader() + "\n"));
            evals = append(dir.resolve(EVALUATIONS));
        }
        evaluations.add(e);
        StringBuilder b = new StringBuilder().append(e.step());
        for (String n : metricNames) {
            Double v = e.metrics().get(n);
            b.append(',').append(v == null ? "" : String.format(Locale.ROOT, "%.6f", v));
        }
        b.append(',').append(e.improved()).append(',').append(String.format(Locale.ROOT, "%.6f", e.best()));
        write(evals, b.toString(), EVALUATIONS);
    }

    @Override
    public void onEnd(TrainingResult r) {
        close();
    }

    @Override
    public void close() {
        try {
            if (steps != null) {
                steps.close();
            }
            if (evals != null) {
                evals.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("closing the metrics files in " + dir, e);
        } finally {
            steps = null;
            evals = null;
        }
    }

    private String evaluationsHeader() {
        return "step," + String.join(",", metricNames) + ",improved,best";
    }

    private Evaluation parseEvaluation(String row) {
        String[] f = row.split(",", -1);
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < metricNames.size(); i++) {
            if (!f[i + 1].isEmpty()) {
                m.put(metricNames.get(i), Double.parseDouble(f[i + 1]));
            }
        }
        return new Evaluation(Long.parseLong(f[0]), Collections.unmodifiableMap(m), Boolean.parseBoolean(
                f[f.length - 2]), Double.parseDouble(f[f.length - 1]));
    }

    /**
     * The rows of a metrics file up to {@code keepUpTo}, each once (the last copy wins), without
     * a torn or malformed line; empty when the file is missing or has another header.
     */
    private static List<String> readRows(Path file, String header, long keepUpTo) {
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the metrics file " + file + " to resume", e);
        }
        if (lines.isEmpty() || !lines.get(0).equals(header)) {
            return List.of();
        }
        int columns = header.split(",", -1).length;
        Map<Long, String> rows = new java.util.TreeMap<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            if (f.length != columns) {
                continue; // a line torn by a kill
            }
            try {
                long step = Long.parseLong(f[0]);
                Double.parseDouble(f[f.length - 1]);
                if (step <= keepUpTo) {
                    rows.put(step, line);
                }
            } catch (NumberFormatException e) {
                // a line torn by a kill
            }
        }
        return new ArrayList<>(rows.values());
    }

    private static String firstLine(Path file) {
        try (var r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return r.readLine();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the metrics file " + file + " to resume", e);
        }
    }

    private static BufferedWriter append(Path file) {
        try {
            return Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the metrics file " + file, e);
        }
    }

    private static void write(BufferedWriter w, String line, String name) {
        if (w == null) {
            return; // closed: the run has ended
        }
        try {
            w.write(line);
            w.write('\n');
            w.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the metrics file " + name, e);
        }
    }

    /** Metrics as one JSON object; non-finite values are written as null (JSON has no NaN). */
    static String json(Map<String, Double> metrics) {
        StringBuilder b = new StringBuilder("{");
        metrics.forEach((k, v) -> b.append(b.length() > 1 ? ", " : "").append('"').append(k).append("\": ")
                .append(v == null || !Double.isFinite(v) ? "null" : String.format(Locale.ROOT, "%.6f", v)));
        return b.append('}').toString();
    }
}
