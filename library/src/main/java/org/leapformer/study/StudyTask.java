package org.leapformer.study;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * One task of a {@link Study}: trains a method at a learning rate with a model seed and a data seed
 * at a scale, and reports the validation metrics of the checkpoint chosen on validation and the
 * test metrics of that checkpoint. A task is a pluggable unit: ListOps, the language model and
 * simultaneous translation are wired in {@code org.leapformer.cli.StudyTasks}; others plug in the
 * same way.
 *
 * <p>The paired design rests on the task: the same model seed must give every method the same
 * shared initial weights, and the same data seed the same data and batch order.
 */
public interface StudyTask {

    /** A short name, used in file names and tables ([a-z0-9-]+). */
    String name();

    /** The metric the study compares (a key of {@link Outcome#test()} and {@link Outcome#validation()}). */
    String metric();

    /** Whether a larger {@link #metric()} is better (accuracy, BLEU) or a smaller one (loss). */
    boolean higherIsBetter();

    /**
     * The validation metric the learning rate is tuned on (and the checkpoint chosen on); by
     * default {@link #metric()}. A task whose test metric is not computed on validation (BLEU of
     * streamed decoding) tunes on another one, e.g. the validation loss.
     */
    default String validationMetric() {
        return metric();
    }

    /** Whether a larger {@link #validationMetric()} is better. */
    default boolean validationHigherIsBetter() {
        return higherIsBetter();
    }

    /**
     * Further test metrics the study summarises and compares seed by seed as it does
     * {@link #metric()} (e.g. the loss at 4× and 16× the training length); a method whose runs
     * lack one (NaN or absent) is summarised as n/a and left out of that metric's pairs. The
     * learning rate is still tuned on {@link #validationMetric()} alone.
     */
    default List<Metric> secondaryMetrics() {
        return List.of();
    }

    /**
     * The best value {@link #metric()} can take (1 for an accuracy, 100 for BLEU), or empty when it
     * has none (a loss). A method whose mean test metric is within 2% of it is "at the ceiling",
     * and a task with a method there cannot tell methods apart ({@link Study}'s discrimination test).
     */
    default OptionalDouble ceiling() {
        return OptionalDouble.empty();
    }

    /** Whether this task can train {@code method}; the study checks every pair before the first run. */
    default boolean supports(String method) {
        return true;
    }

    /** One line on the data and model at this scale, for the study record. */
    String describe(Scale scale);

    /**
     * Trains one run.
     *
     * @param work an empty folder the run may fill (checkpoints, metrics); the study removes its
     *     checkpoints once the run is recorded
     */
    Outcome run(Run run, Path work);

    /**
     * Times training steps of the method's model at this scale, alone on the machine: {@code warmup}
     * steps untimed, then {@code timed} steps whose median is reported.
     */
    Throughput throughput(String method, Scale scale, long dataSeed, int warmup, int timed, Path work);

    /** A test metric: its key in {@link Outcome#test()}, its direction, and what it measures. */
    record Metric(String name, boolean higherIsBetter, String description) {
        public Metric {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("study metric: expected a name, found '" + name + "'");
            }
        }
    }

    /**
     * Input lengths at which training throughput is also timed, beside the task's own (the paper's
     * LRA figure compares speed at long inputs, where linear attention pays off); none by default.
     */
    default List<Integer> longThroughputLengths(Scale scale) {
        return List.of();
    }

    /**
     * As {@link #throughput} with inputs of {@code length} tokens (one of
     * {@link #longThroughputLengths(Scale)}), the batch as small as the task likes.
     */
    default Throughput throughputAt(String method, Scale scale, long dataSeed, int length, int warmup, int timed,
            Path work) {
        throw new UnsupportedOperationException("study task " + name() + ": expected a task with long throughput "
                + "lengths, found none");
    }

    /** What to train: the study's key of a run (with the data seed, which the study fixes). */
    record Run(String task, String method, double learningRate, long seed, long dataSeed, Scale scale) {}

    /**
     * What a run reports.
     *
     * @param validation the metrics of the checkpoint chosen on validation, on validation
     * @param test the same checkpoint's metrics on test
     * @param parameters the model's parameter count
     * @param steps optimizer steps taken
     * @param seconds wall-clock training time (shared CPU: not a throughput measure)
     */
    record Outcome(Map<String, Double> validation, Map<String, Double> test, long parameters, long steps,
            double seconds) {}

    /**
     * Training throughput of one method's model.
     *
     * @param medianStepSeconds the median of the timed steps
     * @param tokensPerStep input tokens per step (mean over the timed steps)
     */
    record Throughput(double medianStepSeconds, double minStepSeconds, double tokensPerStep, int warmup,
            int timed) {

        public double stepsPerSecond() {
            return 1 / medianStepSeconds;
        }

        public double tokensPerSecond() {
            return tokensPerStep / medianStepSeconds;
        }
    }
}
