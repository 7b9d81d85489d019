package org.leapformer.train;

import java.util.Locale;
import java.util.Map;

/**
 * How a {@link Trainer#fit} call ended.
 *
 * @param steps steps done in total (including those before a resume)
 * @param reason why it stopped
 * @param best best monitored value (NaN without evaluation)
 * @param bestStep step of the best value (−1 without evaluation)
 * @param lastLoss the last step's training loss (NaN when no step ran in this call)
 * @param lastEvaluation the last evaluation's metrics (empty when none ran in this call)
 * @param seconds training time of the whole run, over every resumed segment
 * @param divergence what went wrong when {@code reason} is {@link StopReason#DIVERGED}, else null
 */
public record TrainingResult(long steps, StopReason reason, double best, long bestStep, double lastLoss,
        Map<String, Double> lastEvaluation, double seconds, Divergence divergence) {

    /** Why training stopped. */
    public enum StopReason {
        /** All configured steps ran. */
        COMPLETED,
        /** The monitored metric did not improve for {@code patience} evaluations. */
        EARLY_STOPPED,
        /** The training thread was interrupted, or a listener asked to stop; the step in progress was finished. */
        INTERRUPTED,
        /** A step's loss or gradient norm was NaN or infinite; that step's update was not applied. */
        DIVERGED
    }

    /**
     * The step whose loss or gradient was not finite.
     *
     * @param step the step that failed (its update was not applied: the model holds step − 1)
     * @param loss its mean loss
     * @param gradNorm its global gradient norm (NaN when the loss was already not finite)
     * @param learningRate the learning rate of the step
     * @param cause the check that found a non-finite activation in the forward pass, or null
     */
    public record Divergence(long step, double loss, double gradNorm, double learningRate, String cause) {

        /** What happened and what to try, for a person. */
        public String message() {
            String what = cause != null ? "the forward pass produced non-finite values (" + cause + ")"
                    : Double.isFinite(loss) ? String.format(Locale.ROOT, "the gradient norm is %s (loss %.4g)",
                            gradNorm, loss) : "the loss is " + loss;
            return String.format(Locale.ROOT, "training diverged at step %d: %s at learning rate %.3g; its update was "
                    + "not applied, so the model and the last checkpoint hold the last good parameters. Try a lower "
                    + "learning rate, a longer warm-up or gradient clipping", step, what, learningRate);
        }
    }
}
