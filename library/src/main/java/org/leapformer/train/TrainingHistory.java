package org.leapformer.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * A listener that keeps what a run did: every step's loss, learning rate and speed, and every
 * evaluation's metrics. Give it to {@link Trainer#addListener} and plot it, compare runs, or read
 * the numbers back. Safe to read from another thread while training runs (reads see a snapshot).
 *
 * <pre>{@code
 * TrainingHistory history = new TrainingHistory("LeaP");
 * trainer.addListener(history);
 * trainer.fit(train, eval);
 * history.steps().get(0).loss();
 * }</pre>
 */
public final class TrainingHistory implements TrainingListener {

    private final String name;
    private final List<Step> steps = new ArrayList<>();
    private final List<Evaluation> evaluations = new ArrayList<>();
    private long totalSteps;
    private TrainingResult result;

    /**
     * @param name what the run is called in legends, e.g. "LeaP" or "softmax, lr 1e-3"
     * @throws IllegalArgumentException when the name is null or blank
     */
    public TrainingHistory(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("run name: expected a non-blank name, found "
                    + (name == null ? "null" : "'" + name + "'"));
        }
        this.name = name;
    }

    /** The run's name. */
    public String name() {
        return name;
    }

    @Override
    public synchronized void onStart(long startStep, long totalSteps) {
        this.totalSteps = totalSteps;
        this.result = null;
    }

    @Override
    public synchronized void onStep(Step step) {
        steps.add(step);
    }

    @Override
    public synchronized void onEvaluation(Evaluation evaluation) {
        evaluations.add(evaluation);
    }

    @Override
    public synchronized void onEnd(TrainingResult result) {
        this.result = result;
    }

    /** The steps so far, oldest first (a copy). */
    public synchronized List<Step> steps() {
        return List.copyOf(steps);
    }

    /** The evaluations so far, oldest first (a copy). */
    public synchronized List<Evaluation> evaluations() {
        return List.copyOf(evaluations);
    }

    /** The metric names the evaluations reported ("loss", "accuracy", "perplexity" …), sorted. */
    public synchronized List<String> metricNames() {
        TreeSet<String> names = new TreeSet<>();
        for (Evaluation e : evaluations) {
            names.addAll(e.metrics().keySet());
        }
        return List.copyOf(names);
    }

    /**
     * One evaluation metric against the step: step → value, in step order.
     *
     * @throws IllegalArgumentException when no evaluation reported {@code metric}
     */
    public synchronized Map<Long, Double> metric(String metric) {
        Objects.requireNonNull(metric, "metric");
        Map<Long, Double> out = new LinkedHashMap<>();
        for (Evaluation e : evaluations) {
            Double v = e.metrics().get(metric);
            if (v != null) {
                out.put(e.step(), v);
            }
        }
        if (out.isEmpty() && !evaluations.isEmpty()) {
            throw new IllegalArgumentException("metric of run '" + name + "': expected one of " + metricNames()
                    + ", found '" + metric + "'");
        }
        return Collections.unmodifiableMap(out);
    }

    /** Steps of the whole run as configured (0 before it started). */
    public synchronized long totalSteps() {
        return totalSteps;
    }

    /** How the run ended, or null while it runs (or before it started). */
    public synchronized TrainingResult result() {
        return result;
    }

    /** The last step, or null before the first. */
    public synchronized Step lastStep() {
        return steps.isEmpty() ? null : steps.get(steps.size() - 1);
    }

    /**
     * The mean loss of the last {@code window} steps (fewer at the start), or NaN before the first
     * step: the smoothed figure a progress line shows.
     */
    public synchronized double recentLoss(int window) {
        if (window < 1) {
            throw new IllegalArgumentException("window: expected at least 1 step, found " + window);
        }
        int n = Math.min(window, steps.size());
        double sum = 0;
        for (int i = steps.size() - n; i < steps.size(); i++) {
            sum += steps.get(i).loss();
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    @Override
    public synchronized String toString() {
        return "TrainingHistory '" + name + "': " + steps.size() + " steps, " + evaluations.size() + " evaluations"
                + (result != null ? ", " + result.reason() : "");
    }
}
