package org.leapformer.train;

/**
 * Learning rate by step: linear warm-up from lr/W to lr over W steps, then a decay to
 * minLr at the last step.
 *
 * <pre>
 *   t &lt; W:   lr · (t + 1) / W
 *   else:    p = (t − W) / max(1, T − 1 − W)
 *            COSINE:   minLr + (lr − minLr) · (1 + cos(π p)) / 2
 *            LINEAR:   lr − (lr − minLr) · p
 *            CONSTANT: lr
 * </pre>
 */
public enum Schedule {
    COSINE,
    LINEAR,
    CONSTANT;

    /**
     * @param step t, 0-based
     * @param totalSteps T
     * @param warmup W
     */
    public double learningRate(long step, long totalSteps, long warmup, double lr, double minLr) {
        if (step < warmup) {
            return lr * (step + 1) / warmup;
        }
        double p = Math.min(1.0, (double) (step - warmup) / Math.max(1, totalSteps - 1 - warmup));
        return switch (this) {
            case COSINE -> minLr + (lr - minLr) * 0.5 * (1 + Math.cos(Math.PI * p));
            case LINEAR -> lr - (lr - minLr) * p;
            case CONSTANT -> lr;
        };
    }
}
