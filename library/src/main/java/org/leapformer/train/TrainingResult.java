package org.leapformer.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.leapformer.ops.Checks;

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
 * @param seed the model seed ({@link TrainingConfig#seed()})
 * @param dataSeed the data seed ({@link TrainingConfig#dataSeed()})
 * @param splits the sizes of the training, validation and test sets
 * @param selectedOn which split chose the reported model: {@link #VALIDATION} (the best evaluation of
 *     the monitored metric, step {@code bestStep}) or {@link #LAST_STEP} (no evaluation ran)
 * @param validation the validation metrics of the chosen model (empty when unknown)
 * @param test the chosen model's metrics on the test set, evaluated once at the end (empty when no
 *     test set was given or the run did not finish: interrupted or diverged)
 */
public record TrainingResult(long steps, StopReason reason, double best, long bestStep, double lastLoss,
        Map<String, Double> lastEvaluation, double seconds, Divergence divergence, long seed, long dataSeed,
        Splits splits, String selectedOn, Map<String, Double> validation, Map<String, Double> test) {

    /** {@link #selectedOn()} when the best validation evaluation chose the model. */
    public static final String VALIDATION = "validation";
    /** {@link #selectedOn()} when no evaluation ran: the model of the last step. */
    public static final String LAST_STEP = "last-step";

    public TrainingResult {
        lastEvaluation = frozen(lastEvaluation);
        validation = frozen(validation);
        test = frozen(test);
        Checks.require(VALIDATION.equals(selectedOn) || LAST_STEP.equals(selectedOn), "selectedOn",
                VALIDATION + " or " + LAST_STEP, selectedOn);
        Checks.require(splits != null, "splits", "the sizes of the sets (Splits.UNKNOWN when unknown)", "null");
    }

    /** An unmodifiable copy in the same order (empty for null). */
    private static Map<String, Double> frozen(Map<String, Double> m) {
        return m == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }

    /**
     * A result without seeds, splits or test metrics (as before they were recorded): seeds 0,
     * sizes unknown, chosen on validation when {@code bestStep >= 0}.
     */
    public TrainingResult(long steps, StopReason reason, double best, long bestStep, double lastLoss,
            Map<String, Double> lastEvaluation, double seconds, Divergence divergence) {
        this(steps, reason, best, bestStep, lastLoss, lastEvaluation, seconds, divergence, 0, 0, Splits.UNKNOWN,
                bestStep >= 0 ? VALIDATION : LAST_STEP, Map.of(), Map.of());
    }

    /**
     * Sizes of the three sets, in examples (sentences, sequences or language-model windows); −1 when
     * unknown, 0 when there is no such set.
     */
    public record Splits(long train, long validation, long test) {
        /** Nothing known. */
        public static final Splits UNKNOWN = new Splits(-1, -1, -1);
    }

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
