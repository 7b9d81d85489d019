package org.leapformer.train;

import java.util.Map;

/**
 * Receives what the trainer does, on the training thread: a notebook plots it, the console
 * shows a progress bar ({@link ConsoleProgress}). Every method has an empty default.
 */
public interface TrainingListener {

    /**
     * After every optimizer step.
     *
     * @param step steps done (1 after the first)
     * @param totalSteps steps of the whole run
     * @param loss the batch's mean loss
     * @param learningRate the rate used in the step
     * @param gradNorm global gradient norm before clipping
     * @param samples B
     * @param tokens input tokens of the batch
     * @param seconds wall time of the step
     */
    record Step(long step, long totalSteps, double loss, double learningRate, double gradNorm, long samples,
            long tokens, double seconds) {

        /** Input tokens per second of this step. */
        public double tokensPerSecond() {
            return seconds > 0 ? tokens / seconds : 0;
        }

        /** Samples per second of this step. */
        public double samplesPerSecond() {
            return seconds > 0 ? samples / seconds : 0;
        }
    }

    /**
     * After every evaluation.
     *
     * @param step steps done
     * @param metrics loss, accuracy, perplexity
     * @param improved whether the monitored metric improved
     * @param best the best monitored value so far
     */
    record Evaluation(long step, Map<String, Double> metrics, boolean improved, double best) {}

    /** Before the first step (also of a resumed run: {@code startStep} > 0). */
    default void onStart(long startStep, long totalSteps) {}

    default void onStep(Step step) {}

    default void onEvaluation(Evaluation evaluation) {}

    /** After the last step, however training ended. */
    default void onEnd(TrainingResult result) {}

    /**
     * Asked after every step: true stops training there, as an interrupt of the training thread
     * would ({@link TrainingResult.StopReason#INTERRUPTED}, the step's update kept), but without
     * leaving the thread interrupted. A notebook's interrupt button uses it; so may a time budget.
     */
    default boolean stopRequested() {
        return false;
    }
}
