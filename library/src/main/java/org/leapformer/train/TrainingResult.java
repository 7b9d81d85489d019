package org.leapformer.train;

import java.util.Map;

/**
 * How a {@link Trainer#fit} call ended.
 *
 * @param steps steps done in total (including those before a resume)
 * @param reason why it stopped
 * @param best best monitored value (NaN without evaluation)
 * @param bestStep step of the best value (−1 without evaluation)
 * @param lastLoss the last step's training loss (NaN when no step ran)
 * @param lastEvaluation the last evaluation's metrics (empty when none ran)
 */
public record TrainingResult(long steps, StopReason reason, double best, long bestStep, double lastLoss,
        Map<String, Double> lastEvaluation) {

    /** Why training stopped. */
    public enum StopReason {
        /** All configured steps ran. */
        COMPLETED,
        /** The monitored metric did not improve for {@code patience} evaluations. */
        EARLY_STOPPED,
        /** The training thread was interrupted; the step in progress was finished. */
        INTERRUPTED
    }
}
